import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { bodies, createRoom, enc, freshUsers, join, send, startSyncHomeserver, sync, txn, type Client } from "./helpers.ts";

let t: TestHomeserver;

beforeAll(async () => {
  t = await startSyncHomeserver();
});
afterAll(() => t.stop());

const users = (...names: string[]) => freshUsers(t, ...names);

async function knockableRoom(owner: Client): Promise<string> {
  return createRoom(owner, {
    name: "Knock knock",
    initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }],
  });
}

describe("rooms.knock", () => {
  test("a knock shows in knock with stripped state; an invite moves it to invite, a join to join", async () => {
    const [alice, bob] = await users("alice", "bob");
    const roomId = await knockableRoom(alice!.c);
    const bobFirst = await sync(bob!.c);
    const aliceFirst = await sync(alice!.c);

    const knock = await bob!.c("POST", `/knock/${enc(roomId)}`, { reason: "let me in" });
    expect(knock.status).toBe(200);
    expect(knock.body.room_id).toBe(roomId);

    const knocked = await sync(bob!.c, { since: bobFirst.next_batch, timeout: 10_000 });
    expect(knocked.rooms.join?.[roomId]).toBeUndefined();
    expect(knocked.rooms.invite?.[roomId]).toBeUndefined();
    const state = knocked.rooms.knock[roomId].knock_state.events;
    expect(state.find((e: any) => e.type === "m.room.join_rules")?.content.join_rule).toBe("knock");
    expect(state.find((e: any) => e.type === "m.room.name")?.content.name).toBe("Knock knock");
    expect(state.find((e: any) => e.type === "m.room.create")).toBeDefined();
    // Stripped state: no history, only what an outsider may see.
    expect(state.some((e: any) => e.type === "m.room.power_levels" || e.type === "m.room.history_visibility")).toBe(false);
    const mine = state.find((e: any) => e.type === "m.room.member" && e.state_key === bob!.userId);
    expect(mine.content.membership).toBe("knock");
    expect(mine.content.reason).toBe("let me in");
    // A knocker sees no timeline of the room.
    expect(knocked.rooms.knock[roomId].timeline).toBeUndefined();

    // The room's members see the knock in the timeline.
    const aliceView = await sync(alice!.c, { since: aliceFirst.next_batch });
    const knockEvent = aliceView.rooms.join[roomId].timeline.events.find((e: any) => e.type === "m.room.member" && e.state_key === bob!.userId);
    expect(knockEvent.content.membership).toBe("knock");

    // An initial sync shows the knock too; the next incremental one does not repeat it.
    expect((await sync(bob!.c)).rooms.knock[roomId]).toBeDefined();
    expect((await sync(bob!.c, { since: knocked.next_batch })).rooms?.knock?.[roomId]).toBeUndefined();

    // The admin accepts by inviting.
    expect((await alice!.c("POST", `/rooms/${enc(roomId)}/invite`, { user_id: bob!.userId })).status).toBe(200);
    const invited = await sync(bob!.c, { since: knocked.next_batch, timeout: 10_000 });
    expect(invited.rooms.knock?.[roomId]).toBeUndefined();
    const invite = invited.rooms.invite[roomId].invite_state.events.find((e: any) => e.type === "m.room.member" && e.state_key === bob!.userId);
    expect(invite.content.membership).toBe("invite");
    expect(invite.sender).toBe(alice!.userId);

    await join(bob!.c, roomId);
    await send(alice!.c, roomId, "welcome");
    const joined = await sync(bob!.c, { since: invited.next_batch });
    expect(joined.rooms.invite?.[roomId]).toBeUndefined();
    expect(bodies(joined.rooms.join[roomId].timeline.events)).toContain("welcome");
  });

  test("a refused knock (kick) moves the room to leave; knocking on a room without the knock rule is refused", async () => {
    const [alice, bob] = await users("alice", "bob");
    const roomId = await knockableRoom(alice!.c);
    expect((await bob!.c("POST", `/knock/${enc(roomId)}`, {})).status).toBe(200);
    const knocked = await sync(bob!.c);
    expect(knocked.rooms.knock[roomId]).toBeDefined();
    expect((await alice!.c("POST", `/rooms/${enc(roomId)}/kick`, { user_id: bob!.userId, reason: "no" })).status).toBe(200);
    const refused = await sync(bob!.c, { since: knocked.next_batch });
    expect(refused.rooms.knock?.[roomId]).toBeUndefined();
    const leave = refused.rooms.leave[roomId].timeline.events.findLast((e: any) => e.type === "m.room.member" && e.state_key === bob!.userId);
    expect(leave.content.membership).toBe("leave");

    const closed = await createRoom(alice!.c, { preset: "private_chat" });
    expect((await bob!.c("POST", `/knock/${enc(closed)}`, {})).status).toBe(403);
    expect((await sync(bob!.c)).rooms?.knock?.[closed]).toBeUndefined();
  });
});

describe("event_format: federation", () => {
  test("events come as the federation PDU with event_id and unsigned; redacted content stays hidden", async () => {
    const [alice] = await users("alice");
    const roomId = await createRoom(alice!.c, { name: "Federated" });
    const kept = await send(alice!.c, roomId, "kept");
    const secret = await send(alice!.c, roomId, "secret");
    const redact = await alice!.c("PUT", `/rooms/${enc(roomId)}/redact/${enc(secret)}/${txn()}`, { reason: "oops" });
    expect(redact.status).toBe(200);

    const body = await sync(alice!.c, { filter: JSON.stringify({ event_format: "federation", room: { timeline: { limit: 3 } } }) });
    const room = body.rooms.join[roomId];
    const byId = new Map<string, any>(room.timeline.events.map((e: any) => [e.event_id, e]));
    const ev = byId.get(kept);
    expect(ev.content.body).toBe("kept");
    expect(ev.room_id).toBe(roomId);
    expect(ev.sender).toBe(alice!.userId);
    expect(Array.isArray(ev.auth_events)).toBe(true);
    expect(ev.auth_events.length).toBeGreaterThan(0);
    expect(Array.isArray(ev.prev_events)).toBe(true);
    expect(typeof ev.depth).toBe("number");
    expect(typeof ev.hashes.sha256).toBe("string");
    expect(Object.keys(ev.signatures)).toContain("test.local");
    expect(typeof ev.unsigned.age).toBe("number");
    // The sender's own transaction id is echoed as in the client format.
    expect(typeof ev.unsigned.transaction_id).toBe("string");

    const hidden = byId.get(secret);
    expect(hidden.content).toEqual({});
    expect(hidden.unsigned.redacted_because.type).toBe("m.room.redaction");
    expect(hidden.hashes).toBeDefined();

    // State events come in the same format.
    const create = room.state.events.find((e: any) => e.type === "m.room.create");
    expect(create.event_id).toBeString();
    expect(create.depth).toBe(1);

    // event_fields applies on top; the client format has no federation keys.
    const picked = await sync(alice!.c, {
      filter: JSON.stringify({ event_format: "federation", event_fields: ["type", "depth"], room: { timeline: { limit: 1 } } }),
    });
    const last = picked.rooms.join[roomId].timeline.events[0];
    expect(Object.keys(last).sort()).toEqual(["depth", "type"]);
    const client = await sync(alice!.c, { filter: JSON.stringify({ room: { timeline: { limit: 3 } } }) });
    const clientEvent = client.rooms.join[roomId].timeline.events.find((e: any) => e.event_id === kept);
    expect(clientEvent.auth_events).toBeUndefined();
    expect(clientEvent.hashes).toBeUndefined();
    expect(clientEvent.depth).toBeUndefined();
  });
});
