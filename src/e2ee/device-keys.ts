import { getLogger } from "@logtape/logtape";
import { MatrixError } from "../http/errors.ts";
import { canonicalJson } from "../matrix/canonical-json.ts";
import { parseUserId } from "../matrix/identifiers.ts";
import type { Clock } from "../observability/clock.ts";
import type { E2eeDeviceKeysStore, KeyToStore } from "../storage/stores/e2ee-device-keys.ts";
import type { E2eeCrossSigningStore, SignatureRow } from "../storage/stores/e2ee-cross-signing.ts";
import type { DeviceListsService } from "./device-lists.ts";
import type { Json } from "./ports.ts";
import { isObject, splitKeyId, withSignatures } from "./signed-objects.ts";

const log = getLogger(["hearth", "e2ee"]);

/** Clients look for this count even when zero; Synapse always reports it. */
const ALWAYS_COUNTED = "signed_curve25519";

export interface UploadKeys {
  deviceKeys?: Json;
  oneTimeKeys?: Record<string, unknown>;
  fallbackKeys?: Record<string, unknown>;
}

export interface KeysQueryResult {
  device_keys: Record<string, Record<string, Json>>;
  master_keys: Record<string, Json>;
  self_signing_keys: Record<string, Json>;
  user_signing_keys: Record<string, Json>;
  failures: Record<string, Json>;
}

/** Device identity keys, one-time keys and fallback keys: /keys/upload, /keys/query, /keys/claim. */
export class DeviceKeysService {
  constructor(
    private readonly serverName: string,
    private readonly keys: E2eeDeviceKeysStore,
    private readonly crossSigning: E2eeCrossSigningStore,
    private readonly deviceLists: DeviceListsService,
    private readonly clock: Clock,
  ) {}

  async upload(userId: string, deviceId: string, input: UploadKeys): Promise<{ one_time_key_counts: Record<string, number> }> {
    const now = this.clock.now();
    if (input.deviceKeys) {
      if (input.deviceKeys.user_id !== userId) {
        throw new MatrixError(400, "M_BAD_JSON", "Provided `user_id` in `device_keys` does not match that of the authenticated user");
      }
      if (input.deviceKeys.device_id !== deviceId) {
        throw new MatrixError(400, "M_BAD_JSON", "Provided `device_id` in `device_keys` does not match that of the authenticated user device");
      }
      if (await this.keys.setDeviceKeys(userId, deviceId, input.deviceKeys, now)) {
        log.info("Updated device keys of {userId} {deviceId}", { userId, deviceId });
        await this.deviceLists.changed(userId);
      }
    }
    if (input.oneTimeKeys) await this.#uploadOneTimeKeys(userId, deviceId, input.oneTimeKeys, now);
    if (input.fallbackKeys) {
      const fallback = parseKeyMap(input.fallbackKeys, "fallback_keys");
      const algorithms = new Set(fallback.map((k) => k.algorithm));
      if (algorithms.size !== fallback.length) {
        throw new MatrixError(400, "M_INVALID_PARAM", "Only one fallback key per algorithm may be uploaded");
      }
      await this.keys.setFallbackKeys(userId, deviceId, fallback);
    }
    return { one_time_key_counts: await this.oneTimeKeyCounts(userId, deviceId) };
  }

  async #uploadOneTimeKeys(userId: string, deviceId: string, raw: Record<string, unknown>, now: number): Promise<void> {
    const keys = parseKeyMap(raw, "one_time_keys");
    const existing = await this.keys.oneTimeKeysById(userId, deviceId, Object.keys(raw));
    const fresh: KeyToStore[] = [];
    for (const k of keys) {
      const id = `${k.algorithm}:${k.keyId}`;
      if (!existing.has(id)) {
        fresh.push(k);
        continue;
      }
      // A retried upload may carry new signatures; the key itself must be the same.
      if (withoutSignatures(existing.get(id)) !== withoutSignatures(k.key)) {
        throw new MatrixError(400, "M_INVALID_PARAM", `One time key ${id} already exists with different content`);
      }
    }
    await this.keys.addOneTimeKeys(userId, deviceId, fresh, now);
  }

  /** Unclaimed one-time keys per algorithm, as /keys/upload and /sync report them. */
  async oneTimeKeyCounts(userId: string, deviceId: string): Promise<Record<string, number>> {
    return { [ALWAYS_COUNTED]: 0, ...(await this.keys.countOneTimeKeys(userId, deviceId)) };
  }

  unusedFallbackKeyTypes(userId: string, deviceId: string): Promise<string[]> {
    return this.keys.unusedFallbackKeyTypes(userId, deviceId);
  }

  /**
   * Device and cross-signing keys of the queried users (local only: remote servers are
   * reported under `failures`). Devices carry the signatures their owner made on them;
   * cross-signing keys carry the signatures the requester made; the user-signing key is
   * only returned to its owner.
   */
  async query(requester: string, query: Record<string, string[]>): Promise<KeysQueryResult> {
    const result: KeysQueryResult = { device_keys: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {}, failures: {} };
    const local: string[] = [];
    for (const userId of Object.keys(query)) {
      const server = parseUserId(userId)?.serverName;
      if (server === this.serverName) {
        local.push(userId);
        result.device_keys[userId] = {};
      } else if (server) {
        result.failures[server] = { status: 503, message: "Federation is not available" };
      }
    }
    if (local.length === 0) return result;
    const [devices, csKeys, signatures] = await Promise.all([
      this.keys.deviceKeysOf(local),
      this.crossSigning.keysOf(local),
      this.crossSigning.signaturesOn(local),
    ]);
    const sigsOn = groupSignatures(signatures);
    for (const d of devices) {
      const wanted = query[d.userId]!;
      if (wanted.length > 0 && !wanted.includes(d.deviceId)) continue;
      const own = (sigsOn.get(`${d.userId}\0${d.deviceId}`) ?? []).filter((s) => s.signerUserId === d.userId);
      const info: Json = withSignatures(d.keys, own);
      if (d.displayName !== null) info.unsigned = { ...(isObject(d.keys.unsigned) ? d.keys.unsigned : {}), device_display_name: d.displayName };
      result.device_keys[d.userId]![d.deviceId] = info;
    }
    for (const k of csKeys) {
      if (k.keyType === "user_signing" && k.userId !== requester) continue;
      const mine = (sigsOn.get(`${k.userId}\0${k.publicKey}`) ?? []).filter((s) => s.signerUserId === requester);
      const target = k.keyType === "master" ? result.master_keys : k.keyType === "self_signing" ? result.self_signing_keys : result.user_signing_keys;
      target[k.userId] = withSignatures(k.key, mine);
    }
    return result;
  }

  /** Claims a one-time key, else the fallback key, per requested device (local users only). */
  async claim(query: Record<string, Record<string, string>>): Promise<{ one_time_keys: Record<string, Record<string, Json>>; failures: Record<string, Json> }> {
    const oneTimeKeys: Record<string, Record<string, Json>> = {};
    const failures: Record<string, Json> = {};
    const wanted: Array<{ userId: string; deviceId: string; algorithm: string }> = [];
    for (const [userId, devices] of Object.entries(query)) {
      const server = parseUserId(userId)?.serverName;
      if (server !== this.serverName) {
        if (server) failures[server] = { status: 503, message: "Federation is not available" };
        continue;
      }
      for (const [deviceId, algorithm] of Object.entries(devices)) wanted.push({ userId, deviceId, algorithm });
    }
    for (const r of await this.keys.claimKeys(wanted)) {
      if (!r.claimed) continue;
      ((oneTimeKeys[r.userId] ??= {})[r.deviceId] ??= {})[`${r.claimed.algorithm}:${r.claimed.keyId}`] = r.claimed.key;
    }
    return { one_time_keys: oneTimeKeys, failures };
  }
}

function parseKeyMap(raw: Record<string, unknown>, field: string): KeyToStore[] {
  const out: KeyToStore[] = [];
  for (const [id, key] of Object.entries(raw)) {
    const parsed = splitKeyId(id);
    if (!parsed) throw new MatrixError(400, "M_BAD_JSON", `Invalid ${field} key ${JSON.stringify(id)}. Expected "<algorithm>:<key_id>".`);
    out.push({ ...parsed, key });
  }
  return out;
}

function withoutSignatures(key: unknown): string {
  if (!isObject(key)) return canonicalJson(key);
  const { signatures: _s, ...rest } = key;
  return canonicalJson(rest);
}

function groupSignatures(rows: SignatureRow[]): Map<string, SignatureRow[]> {
  const out = new Map<string, SignatureRow[]>();
  for (const r of rows) {
    const k = `${r.targetUserId}\0${r.targetKeyId}`;
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}
