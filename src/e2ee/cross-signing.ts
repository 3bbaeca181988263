import { getLogger } from "@logtape/logtape";
import { MatrixError } from "../http/errors.ts";
import { canonicalJson } from "../matrix/canonical-json.ts";
import { verifyJsonSignature } from "../matrix/signing.ts";
import type { Clock } from "../observability/clock.ts";
import type { CrossSigningKeyType, E2eeCrossSigningStore, SignatureRow, StoredCrossSigningKey } from "../storage/stores/e2ee-cross-signing.ts";
import type { E2eeDeviceKeysStore } from "../storage/stores/e2ee-device-keys.ts";
import type { DeviceListsService } from "./device-lists.ts";
import type { Json } from "./ports.ts";
import { crossSigningPublicKey, deviceEd25519Key, isObject, signedContent } from "./signed-objects.ts";

const log = getLogger(["hearth", "e2ee", "cross_signing"]);

export interface CrossSigningUpload {
  master_key?: Json;
  self_signing_key?: Json;
  user_signing_key?: Json;
}

/** What an upload of cross-signing keys needs before it may be applied. */
export type UploadRequirement =
  /** Every key in the request equals the stored one: answer 200 and change nothing. */
  | "unchanged"
  /** First upload, or a reset the auth service approved: no UIA. */
  | "allowed"
  /** Replaces existing keys: the client must complete UIA first. */
  | "uia";

const FIELDS: Array<[keyof CrossSigningUpload, CrossSigningKeyType]> = [
  ["master_key", "master"],
  ["self_signing_key", "self_signing"],
  ["user_signing_key", "user_signing"],
];

/** A failure entry of POST /keys/signatures/upload (Synapse's shape plus the spec's `error`). */
export function signatureFailure(status: number, errcode: string, message: string): Json {
  return { status, errcode, error: message, message };
}

class SignatureFailure extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
  ) {
    super(message);
  }
  toJSON(): Json {
    return signatureFailure(this.status, this.errcode, this.message);
  }
}

/** Cross-signing keys (POST /keys/device_signing/upload) and signatures (POST /keys/signatures/upload). */
export class CrossSigningService {
  constructor(
    private readonly store: E2eeCrossSigningStore,
    private readonly deviceKeys: E2eeDeviceKeysStore,
    private readonly deviceLists: DeviceListsService,
    private readonly clock: Clock,
  ) {}

  /**
   * The spec's UIA rule: none when the user has no master key yet or when the request
   * holds no new key; otherwise UIA, unless the auth service (MAS) approved a reset.
   */
  async uploadRequirement(userId: string, body: CrossSigningUpload): Promise<UploadRequirement> {
    const stored = new Map((await this.store.keysOf([userId])).map((k) => [k.keyType, k]));
    const changes = FIELDS.some(([field, type]) => {
      const given = body[field];
      if (given === undefined) return false;
      const existing = stored.get(type);
      return !existing || canonicalJson(existing.key) !== canonicalJson(given);
    });
    if (!changes) return "unchanged";
    const master = stored.get("master");
    if (!master) return "allowed";
    if (master.replaceableWithoutUiaUntilTs !== null && this.clock.now() < master.replaceableWithoutUiaUntilTs) return "allowed";
    return "uia";
  }

  /** Validates and stores the keys: other keys must be signed by the (new or stored) master key. */
  async upload(userId: string, body: CrossSigningUpload, deviceIds: Iterable<string>): Promise<void> {
    let master = body.master_key;
    if (master) checkKey(master, userId, "master");
    else master = (await this.store.key(userId, "master"))?.key;
    if (!master) throw new MatrixError(400, "M_MISSING_PARAM", "No master key available");
    const masterKey = crossSigningPublicKey(master);
    if (!masterKey) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid master key");

    const toStore: Array<{ keyType: CrossSigningKeyType; publicKey: string; key: Json }> = [];
    if (body.master_key) toStore.push({ keyType: "master", publicKey: masterKey.publicKey, key: body.master_key });
    for (const [field, type] of FIELDS.slice(1)) {
      const key = body[field];
      if (!key) continue;
      checkKey(key, userId, type);
      if (!verifyJsonSignature(key, userId, masterKey.keyId, masterKey.publicKey)) {
        throw new MatrixError(400, "M_INVALID_SIGNATURE", `Invalid signature on ${type} key`);
      }
      toStore.push({ keyType: type, publicKey: crossSigningPublicKey(key)!.publicKey, key });
    }
    const devices = new Set(deviceIds);
    for (const k of toStore) {
      if (devices.has(k.publicKey)) throw new MatrixError(403, "M_FORBIDDEN", "Key ID in use");
    }
    if (toStore.length === 0) return;
    await this.store.setKeys(userId, toStore, this.clock.now());
    log.info("Stored cross-signing keys {types} of {userId}", { types: toStore.map((k) => k.keyType).join(","), userId });
    // Master and self-signing keys concern everyone sharing a room; the user-signing key only its owner.
    if (toStore.some((k) => k.keyType !== "user_signing")) await this.deviceLists.changed(userId);
    else await this.deviceLists.changed(userId, { onlyVisibleTo: [userId] });
  }

  /** Makes the master key replaceable without UIA until `untilMs` (MAS); false when there is none. */
  allowReset(userId: string, untilMs: number): Promise<boolean> {
    return this.store.allowReplacementWithoutUia(userId, untilMs);
  }

  /**
   * Checks and stores uploaded signatures: the user's devices signed by their
   * self-signing key, their master key signed by their devices, and other users' master
   * keys signed by their user-signing key. Bad entries are reported, not thrown.
   */
  async uploadSignatures(userId: string, body: Record<string, Record<string, Json>>): Promise<{ failures: Record<string, Record<string, Json>> }> {
    const failures: Record<string, Record<string, Json>> = {};
    const accepted: SignatureRow[] = [];
    const own = body[userId];
    if (own && Object.keys(own).length > 0) await this.#ownSignatures(userId, own, accepted, failures);
    const others = Object.entries(body).filter(([u, m]) => u !== userId && Object.keys(m).length > 0);
    if (others.length > 0) await this.#otherSignatures(userId, others, accepted, failures);

    await this.store.addSignatures(accepted);
    if (accepted.some((s) => s.targetUserId === userId)) await this.deviceLists.changed(userId);
    const signedOthers = new Set(accepted.filter((s) => s.targetUserId !== userId).map((s) => s.targetUserId));
    for (const target of signedOthers) await this.deviceLists.changed(target, { onlyVisibleTo: [userId] });
    return { failures };
  }

  async #ownSignatures(userId: string, signed: Record<string, Json>, out: SignatureRow[], failures: Record<string, Record<string, Json>>): Promise<void> {
    const keys = new Map((await this.store.keysOf([userId])).map((k) => [k.keyType, k]));
    const master = keys.get("master");
    const selfSigning = keys.get("self_signing");
    const devices = new Map((await this.deviceKeys.deviceKeysOf([userId])).map((d) => [d.deviceId, d.keys]));
    const missing = !master ? "No master key found" : !selfSigning ? "No self_signing key found" : devices.size === 0 ? "No device keys found" : null;
    if (missing) {
      for (const id of Object.keys(signed)) (failures[userId] ??= {})[id] = signatureFailure(404, "M_NOT_FOUND", `${missing} for ${userId}`);
      return;
    }
    const existing = await this.store.signaturesOn([userId]);
    for (const [id, obj] of Object.entries(signed)) {
      try {
        const sigs = userSignatures(obj, userId);
        if (id === master!.publicKey) {
          // The master key, signed by one or more of the user's devices.
          requireSameKey(obj, master!.key);
          const storedSigs = isObject(master!.key.signatures) ? master!.key.signatures[userId] : undefined;
          const checked: SignatureRow[] = [];
          for (const [signerKeyId, signature] of Object.entries(sigs)) {
            // Signatures the stored key already carries (e.g. its own) are not new.
            if (isObject(storedSigs) && storedSigs[signerKeyId] === signature) continue;
            const deviceId = signerKeyId.startsWith("ed25519:") ? signerKeyId.slice(8) : "";
            const device = devices.get(deviceId);
            const pub = device && deviceEd25519Key(device, deviceId);
            if (!pub || !verifyJsonSignature(obj, userId, signerKeyId, pub)) throw invalidSignature();
            checked.push({ signerUserId: userId, signerKeyId, targetUserId: userId, targetKeyId: id, signature: String(signature) });
          }
          out.push(...checked);
          continue;
        }
        const sskId = `ed25519:${selfSigning!.publicKey}`;
        if (typeof sigs[sskId] !== "string") throw invalidSignature();
        const stored = devices.get(id);
        if (!stored) throw new SignatureFailure(404, "M_NOT_FOUND", "Unknown device");
        if (existing.some((s) => s.targetKeyId === id && s.signerUserId === userId && s.signerKeyId === sskId && s.signature === sigs[sskId])) continue;
        requireSameKey(obj, stored);
        if (!verifyJsonSignature(obj, userId, sskId, selfSigning!.publicKey)) throw invalidSignature();
        out.push({ signerUserId: userId, signerKeyId: sskId, targetUserId: userId, targetKeyId: id, signature: sigs[sskId] as string });
      } catch (err) {
        (failures[userId] ??= {})[id] = failureOf(err);
      }
    }
  }

  async #otherSignatures(
    userId: string,
    others: Array<[string, Record<string, Json>]>,
    out: SignatureRow[],
    failures: Record<string, Record<string, Json>>,
  ): Promise<void> {
    const usk: StoredCrossSigningKey | undefined = await this.store.key(userId, "user_signing");
    if (!usk) {
      for (const [target, map] of others) {
        for (const id of Object.keys(map)) (failures[target] ??= {})[id] = signatureFailure(404, "M_NOT_FOUND", `No user_signing key found for ${userId}`);
      }
      return;
    }
    const uskId = `ed25519:${usk.publicKey}`;
    const masters = new Map(
      (await this.store.keysOf(others.map(([t]) => t))).filter((k) => k.keyType === "master").map((k) => [k.userId, k]),
    );
    for (const [target, map] of others) {
      const master = masters.get(target);
      for (const [id, obj] of Object.entries(map)) {
        try {
          // Only another user's master key can be signed with the user-signing key.
          if (!master || id !== master.publicKey) throw new SignatureFailure(404, "M_NOT_FOUND", "Unknown device");
          const sigs = userSignatures(obj, userId);
          if (typeof sigs[uskId] !== "string") throw invalidSignature();
          requireSameKey(obj, master.key);
          if (!verifyJsonSignature(obj, userId, uskId, usk.publicKey)) throw invalidSignature();
          out.push({ signerUserId: userId, signerKeyId: uskId, targetUserId: target, targetKeyId: id, signature: sigs[uskId] as string });
        } catch (err) {
          (failures[target] ??= {})[id] = failureOf(err);
        }
      }
    }
  }
}

function checkKey(key: Json, userId: string, type: CrossSigningKeyType): void {
  const usage = key.usage;
  if (key.user_id !== userId || !Array.isArray(usage) || !usage.includes(type) || !crossSigningPublicKey(key)) {
    throw new MatrixError(400, "M_INVALID_PARAM", `Invalid ${type} key`);
  }
}

function userSignatures(obj: Json, userId: string): Record<string, unknown> {
  const sigs = isObject(obj.signatures) ? obj.signatures[userId] : undefined;
  if (!isObject(sigs) || Object.keys(sigs).length === 0) throw invalidSignature();
  return sigs;
}

function requireSameKey(signed: Json, stored: Json): void {
  if (signedContent(signed) !== signedContent(stored)) throw new SignatureFailure(400, "M_INVALID_PARAM", "Key does not match");
}

function invalidSignature(): SignatureFailure {
  return new SignatureFailure(400, "M_INVALID_SIGNATURE", "Invalid signature");
}

function failureOf(err: unknown): Json {
  if (err instanceof SignatureFailure) return err.toJSON();
  if (err instanceof MatrixError) return signatureFailure(err.status, err.errcode, err.message);
  // Canonical JSON errors on hostile input end up here; never a 500 for one bad entry.
  return signatureFailure(400, "M_BAD_JSON", err instanceof Error ? err.message : String(err));
}
