import type { Server } from "bun";

/** What the fake answers for one token at /oauth2/introspect. */
export type IntrospectionAnswer = Record<string, unknown>;

export interface IntrospectionCall {
  token: string | null;
  tokenTypeHint: string | null;
  authorization: string | null;
  contentType: string | null;
  accept: string | null;
  supportsDeviceId: string | null;
  userAgent: string | null;
  path: string;
}

export interface FakeMas {
  /** The `endpoint` to configure, ending in "/" (with the sub-path, if any). */
  endpoint: string;
  secret: string;
  /** token → answer; unknown tokens are `{active: false}`. */
  tokens: Map<string, IntrospectionAnswer>;
  calls: IntrospectionCall[];
  metadataCalls: number;
  /** "ok" answers normally; the others misbehave on every path. */
  mode: "ok" | "error500" | "garbage" | "huge" | "hang";
  /** Extra fields served in the discovery document. */
  metadata: Record<string, unknown>;
  /** Callers to release when mode was "hang". */
  release(): void;
  stop(): Promise<void>;
}

/**
 * A small stand-in for the Matrix Authentication Service on 127.0.0.1: the
 * introspection endpoint (checking the shared secret like MAS does) and the
 * discovery document, recording what it received.
 */
export function startFakeMas(opts: { secret?: string; subPath?: string } = {}): FakeMas {
  const secret = opts.secret ?? "shared_secret";
  const subPath = (opts.subPath ?? "").replace(/^\/|\/$/g, "");
  const prefix = subPath ? `/${subPath}` : "";
  let waiting: Array<() => void> = [];
  const fake: FakeMas = {
    endpoint: "",
    secret,
    tokens: new Map(),
    calls: [],
    metadataCalls: 0,
    mode: "ok",
    metadata: {},
    release() {
      for (const w of waiting) w();
      waiting = [];
    },
    async stop() {
      fake.release();
      await server.stop(true);
    },
  };
  const misbehave = async (): Promise<Response | undefined> => {
    switch (fake.mode) {
      case "ok":
        return undefined;
      case "error500":
        return new Response("oops", { status: 500 });
      case "garbage":
        return new Response("<html>not json</html>", { status: 200, headers: { "content-type": "text/html" } });
      case "huge":
        return new Response(JSON.stringify({ active: true, padding: "x".repeat(2 * 1024 * 1024) }), {
          headers: { "content-type": "application/json" },
        });
      case "hang":
        await new Promise<void>((r) => waiting.push(r));
        return new Response("{}", { status: 503 });
    }
  };
  const server: Server<unknown> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method === "POST" && url.pathname === `${prefix}/oauth2/introspect`) {
        const form = new URLSearchParams(await req.text());
        fake.calls.push({
          token: form.get("token"),
          tokenTypeHint: form.get("token_type_hint"),
          authorization: req.headers.get("authorization"),
          contentType: req.headers.get("content-type"),
          accept: req.headers.get("accept"),
          supportsDeviceId: req.headers.get("x-mas-supports-device-id"),
          userAgent: req.headers.get("user-agent"),
          path: url.pathname,
        });
        const bad = await misbehave();
        if (bad) return bad;
        if (req.headers.get("authorization") !== `Bearer ${secret}`) {
          return Response.json({ error: "invalid_client" }, { status: 401 });
        }
        return Response.json(fake.tokens.get(form.get("token") ?? "") ?? { active: false });
      }
      if (req.method === "GET" && url.pathname === `${prefix}/.well-known/openid-configuration`) {
        fake.metadataCalls++;
        const bad = await misbehave();
        if (bad) return bad;
        const issuer = fake.endpoint;
        return Response.json({
          issuer,
          authorization_endpoint: `${issuer}authorize`,
          token_endpoint: `${issuer}oauth2/token`,
          introspection_endpoint: `${issuer}oauth2/introspect`,
          revocation_endpoint: `${issuer}oauth2/revoke`,
          registration_endpoint: `${issuer}oauth2/registration`,
          account_management_uri: `${issuer}account/`,
          response_types_supported: ["code"],
          response_modes_supported: ["form_post", "query", "fragment"],
          grant_types_supported: ["authorization_code", "refresh_token"],
          code_challenge_methods_supported: ["plain", "S256"],
          ...fake.metadata,
        });
      }
      return new Response("not found", { status: 404 });
    },
  });
  fake.endpoint = `http://127.0.0.1:${server.port}${prefix}/`;
  return fake;
}

export const STABLE_API = "urn:matrix:client:api:*";
export const UNSTABLE_API = "urn:matrix:org.matrix.msc2967.client:api:*";
export const ADMIN = "urn:synapse:admin:*";
export const deviceScope = (id: string, unstable = false) =>
  unstable ? `urn:matrix:org.matrix.msc2967.client:device:${id}` : `urn:matrix:client:device:${id}`;
