// The write queue on its own (fake store): what is submitted gets committed, whenever it
// arrives relative to the batch before it.
import { describe, expect, test } from "bun:test";
import { EventWriter } from "../../src/rooms/event-writer.ts";
import type { BuiltEvent } from "../../src/rooms/event-builder.ts";
import type { RoomHead, RoomHeadCache } from "../../src/rooms/room-head.ts";
import type { EventNotifier } from "../../src/notifier/notifier.ts";
import type { EventPersistStore, RoomEventBatch } from "../../src/storage/stores/event-persist.ts";

function fakeWriter() {
  const committed: string[] = [];
  let position = 0;
  const store = {
    async persist(batches: RoomEventBatch[]) {
      const streamOrderings = new Map<string, number>();
      for (const b of batches) for (const e of b.events) streamOrderings.set(e.eventId, ++position), committed.push(e.eventId);
      return { streamOrderings, stateGroups: new Map() };
    },
  } as unknown as EventPersistStore;
  const heads = { invalidate() {} } as unknown as RoomHeadCache;
  const notifier = { onNewEvent() {}, onNewEvents() {} } as unknown as EventNotifier;
  const head = { roomId: "!room:example.org", pending: 0, persistedStateGroup: null, invalid: false } as unknown as RoomHead;
  const event = (eventId: string): BuiltEvent => {
    head.pending++;
    return {
      head,
      eventId,
      pdu: {} as BuiltEvent["pdu"],
      row: { eventId, roomId: head.roomId, type: "m.room.message", stateKey: null, sender: "@a:example.org", membership: null } as BuiltEvent["row"],
      extremitiesAfter: [eventId],
    };
  };
  return { writer: new EventWriter(store, heads, notifier), head, event, committed };
}

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not committed within ${ms} ms`)), ms))]);

describe("event writer", () => {
  test("a submission made while the batch before it is resolving is committed, however many turns later", async () => {
    // The second submission follows the first one's resolution after `hops` microtasks: one
    // of them lands after the drain's last look at its queue, before the drain has ended.
    for (let hops = 0; hops < 12; hops++) {
      const { writer, head, event, committed } = fakeWriter();
      const second = writer.submit(head, [event(`$a${hops}`)]).then(async () => {
        for (let i = 0; i < hops; i++) await null;
        return writer.submit(head, [event(`$b${hops}`)]);
      });
      await within(second, 1000);
      await writer.flush();
      expect(committed).toEqual([`$a${hops}`, `$b${hops}`]);
      expect(head.pending).toBe(0);
    }
  });
});
