import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../src/observability/clock.ts";
import { TypingService, MAX_TYPING_TIMEOUT_MS } from "../../src/ephemeral/typing.ts";
import { StreamChangeLog } from "../../src/sync/streams.ts";
import { emptyToken, formatSyncToken, parseSyncToken } from "../../src/sync/token.ts";
import { MatrixError } from "../../src/http/errors.ts";

describe("sync tokens", () => {
  test("round-trip every stream in a fixed order", () => {
    const token = { events: 12, receipts: 3, typing: 1_700_000_000_123, account_data: 7, presence: 9, to_device: 4, device_lists: 2 };
    const text = formatSyncToken(token);
    expect(text).toBe("s12_3_1700000000123_7_9_4_2");
    expect(parseSyncToken(text)).toEqual(token);
  });

  test("a token with fewer streams reads the missing ones as 0; extra ones are ignored", () => {
    expect(parseSyncToken("s5")).toEqual({ ...emptyToken(), events: 5 });
    expect(parseSyncToken("s1_2_3_4_5_6_7_8_9")).toEqual({ events: 1, receipts: 2, typing: 3, account_data: 4, presence: 5, to_device: 6, device_lists: 7 });
  });

  test("malformed tokens are 400 M_INVALID_PARAM", () => {
    for (const bad of ["", "x1", "s", "s1__2", "s-1", "s1_a", "t1-2"]) {
      let err: unknown;
      try {
        parseSyncToken(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MatrixError);
      expect((err as MatrixError).errcode).toBe("M_INVALID_PARAM");
    }
  });
});

describe("StreamChangeLog", () => {
  test("knows which rooms and users changed after a position", () => {
    const log = new StreamChangeLog(10);
    log.record(11, { rooms: ["!a"] });
    log.record(12, { users: ["@u"] });
    expect(log.position).toBe(12);
    expect(log.mayHaveChanged(10, "@x", ["!a"])).toBe(true);
    expect(log.mayHaveChanged(11, "@x", ["!a"])).toBe(false);
    expect(log.mayHaveChanged(11, "@u", [])).toBe(true);
    expect(log.mayHaveChanged(12, "@u", ["!a"])).toBe(false);
    expect([...log.roomsChangedSince(10)!]).toEqual(["!a"]);
    expect(log.roomChangedSince("!b", 10)).toBe(false);
  });

  test("positions from before the process started are answered 'maybe'", () => {
    const log = new StreamChangeLog(10);
    expect(log.mayHaveChanged(5, "@x", [])).toBe(true);
    expect(log.roomsChangedSince(5)).toBeUndefined();
    expect(log.roomChangedSince("!a", 5)).toBe(true);
    expect(log.userChangedSince("@x", 5)).toBe(true);
    // Nothing is newer than the current position.
    expect(log.mayHaveChanged(10, "@x", ["!a"])).toBe(false);
  });

  test("a change for everyone concerns every user", () => {
    const log = new StreamChangeLog(0);
    log.record(3, { everyone: true });
    expect(log.mayHaveChanged(2, "@anyone", [])).toBe(true);
    expect(log.mayHaveChanged(3, "@anyone", [])).toBe(false);
  });
});

describe("TypingService", () => {
  test("typing expires after its timeout on the clock, and each change moves the stream", async () => {
    const clock = new FakeClock();
    const changes: Array<[string, number]> = [];
    const typing = new TypingService(clock, (roomId, pos) => changes.push([roomId, pos]));
    const start = typing.startPosition;
    expect(start).toBe(clock.now());
    typing.setTyping("!r", "@a", true, 5_000);
    expect(typing.typingIn("!r")).toEqual(["@a"]);
    expect(typing.roomPosition("!r")).toBe(start + 1);
    // Renewing changes nothing a client sees, but restarts the timer.
    await clock.advance(4_000);
    typing.setTyping("!r", "@a", true, 5_000);
    expect(changes.length).toBe(1);
    await clock.advance(4_000);
    expect(typing.typingIn("!r")).toEqual(["@a"]);
    await clock.advance(1_001);
    expect(typing.typingIn("!r")).toEqual([]);
    expect(changes).toEqual([["!r", start + 1], ["!r", start + 2]]);
    expect(typing.currentPosition).toBe(start + 2);
  });

  test("stopping typing is a change; stopping when not typing is not; timeouts are capped", async () => {
    const clock = new FakeClock();
    const typing = new TypingService(clock);
    typing.setTyping("!r", "@a", false);
    expect(typing.currentPosition).toBe(typing.startPosition);
    typing.setTyping("!r", "@a", true, 10 * MAX_TYPING_TIMEOUT_MS);
    typing.setTyping("!r", "@b", true, 1_000);
    expect(typing.typingIn("!r").sort()).toEqual(["@a", "@b"]);
    typing.setTyping("!r", "@b", false);
    expect(typing.typingIn("!r")).toEqual(["@a"]);
    await clock.advance(MAX_TYPING_TIMEOUT_MS + 1);
    expect(typing.typingIn("!r")).toEqual([]);
    typing.stop();
  });
});
