// Builds small rooms out of real signed events for the auth rule tests.
import { expect, test } from "bun:test";
import { authFailure, selectAuthEvents } from "../../src/matrix/auth-rules.ts";
import { buildEvent, stateKey, type EventReference, type StateMap, type StoredEvent } from "../../src/matrix/events.ts";
import { computeRoomIdV12 } from "../../src/matrix/hashing.ts";
import { serverNameOf } from "../../src/matrix/identifiers.ts";
import { getRoomVersion, type RoomVersion } from "../../src/matrix/room-versions.ts";
import { generateSigningKey, type SigningKey } from "../../src/matrix/signing.ts";

export const ALICE = "@alice:hs1"; // creator
export const BOB = "@bob:hs1";
export const MOD = "@mod:hs1";
export const CAROL = "@carol:hs2";
export const DAVE = "@dave:hs1";

export const ALL_VERSIONS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];
export const versionsFrom = (n: number) => ALL_VERSIONS.filter((v) => Number(v) >= n);
export const versionsBefore = (n: number) => ALL_VERSIONS.filter((v) => Number(v) < n);

export interface EventOpts {
  prevEvents?: EventReference[];
  authEvents?: string[];
  redacts?: string;
  roomId?: string;
  depth?: number;
}

export class TestRoom {
  readonly rv: RoomVersion;
  readonly state: StateMap = new Map();
  readonly keys = new Map<string, SigningKey>();
  roomId = "";
  private last: string[] = [];
  private depth = 0;

  constructor(readonly version: string) {
    const rv = getRoomVersion(version);
    if (!rv) throw new Error(`unknown room version ${version}`);
    this.rv = rv;
  }

  keyFor(server: string): SigningKey {
    let key = this.keys.get(server);
    if (!key) {
      key = generateSigningKey();
      this.keys.set(server, key);
    }
    return key;
  }

  /** Builds (but does not check or apply) an event from `sender`, citing the current state. */
  event(
    sender: string,
    type: string,
    key: string | undefined,
    content: Record<string, unknown>,
    opts: EventOpts = {},
  ): StoredEvent {
    const server = serverNameOf(sender)!;
    const creating = type === "m.room.create";
    const built = buildEvent(
      {
        roomVersion: this.rv,
        roomId: creating && this.rv.roomIdIsCreateEventHash ? opts.roomId : (opts.roomId ?? this.roomId),
        sender,
        type,
        stateKey: key,
        content,
        prevEvents: opts.prevEvents ?? this.last,
        authEvents: opts.authEvents ?? selectAuthEvents(type, key, sender, content, this.state, this.rv),
        depth: opts.depth ?? this.depth + 1,
        originServerTs: 1_700_000_000_000 + this.depth,
        redacts: opts.redacts,
      },
      server,
      this.keyFor(server),
    );
    return built;
  }

  failure(ev: StoredEvent): string | null {
    return authFailure(ev.pdu, this.state, this.rv);
  }

  /** Applies an event that must pass the auth rules. */
  apply(ev: StoredEvent): StoredEvent {
    const reason = this.failure(ev);
    if (reason !== null) throw new Error(`setup event rejected: ${reason}`);
    if (typeof ev.pdu.state_key === "string") this.state.set(stateKey(ev.pdu.type, ev.pdu.state_key), ev);
    this.last = [ev.eventId];
    this.depth = ev.pdu.depth;
    return ev;
  }

  send(sender: string, type: string, key: string | undefined, content: Record<string, unknown>, opts?: EventOpts) {
    return this.apply(this.event(sender, type, key, content, opts));
  }

  member(sender: string, target: string, membership: string, extra: Record<string, unknown> = {}) {
    return this.event(sender, "m.room.member", target, { membership, ...extra });
  }

  setMember(sender: string, target: string, membership: string, extra: Record<string, unknown> = {}) {
    return this.apply(this.member(sender, target, membership, extra));
  }

  /** Forces a state entry without auth (for states the rules cannot reach directly). */
  force(ev: StoredEvent): void {
    this.state.set(stateKey(ev.pdu.type, ev.pdu.state_key!), ev);
  }

  createEvent(): StoredEvent {
    return this.state.get(stateKey("m.room.create", ""))!;
  }
}

export interface RoomSetup {
  joinRule?: string;
  /** Power levels content; `users` is merged over { ALICE: 100, MOD: 50 } (ALICE omitted in v12). */
  powerLevels?: Record<string, unknown> | null;
  createContent?: Record<string, unknown>;
  creator?: string;
}

/** create, creator join, power levels, join rules: the usual start of a room. */
export function makeRoom(version: string, setup: RoomSetup = {}): TestRoom {
  const room = new TestRoom(version);
  const creator = setup.creator ?? ALICE;
  const content: Record<string, unknown> = { room_version: version, ...setup.createContent };
  if (!room.rv.implicitRoomCreator) content.creator = creator;
  if (room.rv.roomIdIsCreateEventHash) {
    const create = room.event(creator, "m.room.create", "", content);
    room.roomId = computeRoomIdV12(create.pdu);
    room.apply(create);
  } else {
    room.roomId = `!room:${serverNameOf(creator)}`;
    room.send(creator, "m.room.create", "", content);
  }
  room.setMember(creator, creator, "join");
  if (setup.powerLevels !== null) {
    const defaults: Record<string, number> = room.rv.privilegedCreators ? { [MOD]: 50 } : { [creator]: 100, [MOD]: 50 };
    const extraUsers = (setup.powerLevels?.users ?? {}) as Record<string, number>;
    room.send(creator, "m.room.power_levels", "", { ...setup.powerLevels, users: { ...defaults, ...extraUsers } });
  }
  room.send(creator, "m.room.join_rules", "", { join_rule: setup.joinRule ?? "public" });
  return room;
}

/** A public room where MOD and BOB have joined. */
export function populatedRoom(version: string, setup: RoomSetup = {}): TestRoom {
  const room = makeRoom(version, { ...setup, joinRule: "public" });
  room.setMember(MOD, MOD, "join");
  room.setMember(BOB, BOB, "join");
  if (setup.joinRule && setup.joinRule !== "public") {
    room.send(ALICE, "m.room.join_rules", "", { join_rule: setup.joinRule });
  }
  return room;
}

/** An auth rules case: `event` checked against the state of `room`, in each of `versions`. */
export interface AuthCase {
  name: string;
  versions: string[];
  room: (v: string) => TestRoom;
  event: (room: TestRoom) => StoredEvent;
  /** null: allowed; a string: rejected with a reason containing it. */
  rejects: string | null;
}

/** A test per case and room version, named `v<version>: <name> is allowed|rejected`. */
export function testAuthCases(cases: AuthCase[]): void {
  for (const c of cases) {
    for (const v of c.versions) {
      test(`v${v}: ${c.name} is ${c.rejects === null ? "allowed" : "rejected"}`, () => {
        const room = c.room(v);
        const reason = room.failure(c.event(room));
        if (c.rejects === null) expect(reason).toBeNull();
        else expect(reason).toContain(c.rejects);
      });
    }
  }
}
