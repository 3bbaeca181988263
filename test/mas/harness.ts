import { startTestHomeserver, type TestHomeserver, type TestHomeserverOptions } from "../support/homeserver.ts";
import { startFakeMas, type FakeMas } from "./fake-mas.ts";

export interface MasTestSetup {
  mas: FakeMas;
  server: TestHomeserver;
  /** A call to /_synapse/mas/<path> authenticated with the shared secret. */
  masApi(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>;
  /** Creates the user and device through the MAS API, and a token for them at the fake MAS. */
  userWithToken(localpart: string, opts?: { deviceId?: string; scope?: string; extra?: Record<string, unknown> }): Promise<string>;
  stop(): Promise<void>;
}

let tokenSeq = 0;

/** A homeserver delegating auth to a fresh fake MAS. */
export async function startMasSetup(opts: TestHomeserverOptions & { subPath?: string } = {}): Promise<MasTestSetup> {
  const mas = startFakeMas({ secret: "shared_secret", subPath: opts.subPath });
  const server = await startTestHomeserver({
    ...opts,
    config: {
      matrix_authentication_service: { enabled: true, endpoint: mas.endpoint, secret: mas.secret },
      ...opts.config,
    },
  });
  const masApi: MasTestSetup["masApi"] = (method, path, body) =>
    server.request(method, `/_synapse/mas/${path}`, { token: mas.secret, body });
  return {
    mas,
    server,
    masApi,
    async userWithToken(localpart, o = {}) {
      const p = await masApi("POST", "provision_user", { localpart });
      if (p.status !== 201 && p.status !== 200) throw new Error(`provision_user: ${p.status} ${JSON.stringify(p.body)}`);
      const deviceId = o.deviceId === undefined ? "DEVICE1" : o.deviceId;
      if (deviceId) {
        const d = await masApi("POST", "upsert_device", { localpart, device_id: deviceId });
        if (d.status !== 201 && d.status !== 200) throw new Error(`upsert_device: ${d.status}`);
      }
      const token = `mat_${localpart}_${tokenSeq++}`;
      const scope = o.scope ?? ["openid", "urn:matrix:client:api:*", ...(deviceId ? [`urn:matrix:client:device:${deviceId}`] : [])].join(" ");
      mas.tokens.set(token, { active: true, scope, username: localpart, sub: `sub-${localpart}`, ...o.extra });
      return token;
    },
    async stop() {
      await server.stop();
      await mas.stop();
    },
  };
}
