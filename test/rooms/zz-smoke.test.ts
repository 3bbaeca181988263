import { test, expect } from "bun:test";
import { startRoomsHomeserver, registerUsers, clientFor, enc, txn } from "/work/main/test/rooms/helpers.ts";

test("smoke", async () => {
  const t = await startRoomsHomeserver();
  try {
    const [alice, bob] = await registerUsers(t, "alice", "bob");
    const a = clientFor(t, alice!);
    const b = clientFor(t, bob!);
    const cr = await a("POST", "/createRoom", { name: "Test", invite: [bob!.userId] });
    console.log(cr.status, cr.body);
    const roomId = cr.body.room_id;
    const j = await b("POST", `/rooms/${enc(roomId)}/join`, {});
    console.log("join", j.status, j.body);
    const s = await a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: "m.text", body: "hi" });
    console.log("send", s.status, s.body);
    const m = await b("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=20`);
    console.log("messages", m.status, JSON.stringify(m.body).slice(0, 3000));
    const st = await b("GET", `/rooms/${enc(roomId)}/state`);
    console.log("state", st.status, st.body.length);
    const ev = await b("GET", `/rooms/${enc(roomId)}/event/${enc(s.body.event_id)}`);
    console.log("event", ev.status, ev.body);
  } finally {
    await t.stop();
  }
});
