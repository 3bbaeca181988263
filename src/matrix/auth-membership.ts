// Authorisation rules for m.room.member events (rule 5 in v1-5 and v12, rule 4 in v6-11).
import { reject } from "./auth-error.ts";
import { prevEventIds, stateKey, type PDU, type StateMap, type StoredEvent } from "./events.ts";
import { serverNameOf } from "./identifiers.ts";
import { namedPowerLevel, userPowerLevel } from "./power-levels.ts";
import type { RoomVersion } from "./room-versions.ts";
import { verifyJsonSignature } from "./signing.ts";

export function membershipIn(state: StateMap, userId: string): string | undefined {
  const m = state.get(stateKey("m.room.member", userId))?.pdu.content?.membership;
  return typeof m === "string" ? m : undefined;
}

function joinRuleIn(state: StateMap): string {
  // A room without m.room.join_rules behaves as invite-only (as Synapse treats it).
  const rule = state.get(stateKey("m.room.join_rules", ""))?.pdu.content?.join_rule;
  return typeof rule === "string" ? rule : "invite";
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function authorizeMembership(event: PDU, state: StateMap, rv: RoomVersion, create: StoredEvent): void {
  const target = event.state_key;
  const membership = event.content?.membership;
  if (typeof target !== "string" || typeof membership !== "string") {
    reject("member event needs a state_key and content.membership");
  }

  const authoriser = event.content.join_authorised_via_users_server;
  if (rv.restrictedJoinRule && authoriser !== undefined) {
    // Only presence can be checked here: verifying the signature needs the server's keys,
    // which the signature checks on receipt do (see requiredSigningServers).
    const server = typeof authoriser === "string" ? serverNameOf(authoriser) : null;
    if (server === null || !isRecord(event.signatures?.[server])) {
      reject("event is not signed by the server of join_authorised_via_users_server");
    }
  }

  const sender = event.sender;
  const senderMembership = membershipIn(state, sender);
  const targetMembership = membershipIn(state, target);
  const senderLevel = userPowerLevel(state, sender, rv);
  const targetLevel = userPowerLevel(state, target, rv);

  switch (membership) {
    case "join":
      return authorizeJoin(event, state, rv, create, senderMembership);
    case "invite":
      if (isRecord(event.content) && "third_party_invite" in event.content) {
        return authorizeThirdPartyInvite(event, state, targetMembership);
      }
      if (senderMembership !== "join") reject("inviter is not joined to the room");
      if (targetMembership === "join" || targetMembership === "ban") {
        reject(`invitee's membership is ${targetMembership}`);
      }
      if (senderLevel < namedPowerLevel(state, "invite")) reject("inviter's power level is below the invite level");
      return;
    case "leave":
      if (sender === target) {
        const allowed = senderMembership === "invite" || senderMembership === "join" ||
          (rv.knockJoinRule && senderMembership === "knock");
        if (!allowed) reject(`cannot leave with membership ${senderMembership ?? "none"}`);
        return;
      }
      if (senderMembership !== "join") reject("sender is not joined to the room");
      if (targetMembership === "ban" && senderLevel < namedPowerLevel(state, "ban")) {
        reject("unbanning needs the ban level");
      }
      if (senderLevel >= namedPowerLevel(state, "kick") && targetLevel < senderLevel) return;
      reject("kicking needs the kick level and a higher level than the target");
    case "ban":
      if (senderMembership !== "join") reject("sender is not joined to the room");
      if (senderLevel >= namedPowerLevel(state, "ban") && targetLevel < senderLevel) return;
      reject("banning needs the ban level and a higher level than the target");
    case "knock": {
      if (!rv.knockJoinRule) reject("room version does not support knocking");
      const rule = joinRuleIn(state);
      const knockable = rule === "knock" || (rv.knockRestrictedJoinRule && rule === "knock_restricted");
      if (!knockable) reject(`cannot knock when the join rule is ${rule}`);
      if (sender !== target) reject("cannot knock on behalf of another user");
      if (senderMembership === "ban" || senderMembership === "invite" || senderMembership === "join") {
        reject(`cannot knock with membership ${senderMembership}`);
      }
      return;
    }
    default:
      reject(`unknown membership ${membership}`);
  }
}

function authorizeJoin(
  event: PDU,
  state: StateMap,
  rv: RoomVersion,
  create: StoredEvent,
  senderMembership: string | undefined,
): void {
  const prev = prevEventIds(event);
  const creator = rv.implicitRoomCreator ? create.pdu.sender : create.pdu.content?.creator;
  if (prev.length === 1 && prev[0] === create.eventId && event.state_key === creator) return;

  if (event.sender !== event.state_key) reject("cannot join on behalf of another user");
  if (senderMembership === "ban") reject("sender is banned");

  const rule = joinRuleIn(state);
  const invitedOrJoined = senderMembership === "invite" || senderMembership === "join";
  if (rule === "invite" || (rv.knockJoinRule && rule === "knock")) {
    if (invitedOrJoined) return;
    reject("room is invite-only and the sender is not invited");
  }
  if ((rv.restrictedJoinRule && rule === "restricted") || (rv.knockRestrictedJoinRule && rule === "knock_restricted")) {
    if (invitedOrJoined) return;
    const authoriser = event.content.join_authorised_via_users_server;
    if (typeof authoriser !== "string") reject("restricted join without join_authorised_via_users_server");
    if (membershipIn(state, authoriser) !== "join") reject("authorising user is not joined to the room");
    if (userPowerLevel(state, authoriser, rv) < namedPowerLevel(state, "invite")) {
      reject("authorising user cannot invite");
    }
    return;
  }
  if (rule === "public") return;
  reject(`cannot join a room whose join rule is ${rule}`);
}

function authorizeThirdPartyInvite(event: PDU, state: StateMap, targetMembership: string | undefined): void {
  if (targetMembership === "ban") reject("invitee is banned");
  const tpi = event.content.third_party_invite;
  const signed = isRecord(tpi) ? tpi.signed : undefined;
  if (!isRecord(signed)) reject("third_party_invite has no signed object");
  const { mxid, token } = signed;
  if (typeof mxid !== "string" || typeof token !== "string") reject("signed lacks mxid or token");
  if (mxid !== event.state_key) reject("signed.mxid does not match the state_key");
  const invite = state.get(stateKey("m.room.third_party_invite", token));
  if (!invite) reject("no m.room.third_party_invite for the token");
  if (invite.pdu.sender !== event.sender) reject("sender did not send the m.room.third_party_invite");
  if (!signedByInviteKey(signed, invite.pdu.content ?? {})) reject("no valid signature from the invite's keys");
}

function inviteePublicKeys(content: Record<string, unknown>): string[] {
  const keys: string[] = [];
  if (typeof content.public_key === "string") keys.push(content.public_key);
  if (Array.isArray(content.public_keys)) {
    for (const k of content.public_keys) {
      if (isRecord(k) && typeof k.public_key === "string") keys.push(k.public_key);
    }
  }
  // Identity servers may publish URL-safe base64; the verifier wants the standard alphabet.
  return keys.map((k) => k.replace(/-/g, "+").replace(/_/g, "/"));
}

function signedByInviteKey(signed: Record<string, unknown>, inviteContent: Record<string, unknown>): boolean {
  const signatures = signed.signatures;
  if (!isRecord(signatures)) return false;
  for (const publicKey of inviteePublicKeys(inviteContent)) {
    for (const [server, byKey] of Object.entries(signatures)) {
      if (!isRecord(byKey)) continue;
      for (const keyId of Object.keys(byKey)) {
        if (keyId.startsWith("ed25519:") && verifyJsonSignature(signed, server, keyId, publicKey)) return true;
      }
    }
  }
  return false;
}
