/** Limits on room activity (messages, room creation, joins, invites) that tests creating many rooms and events never trip; the rate-limit tests set their own. */
export const GENEROUS_ROOM_LIMITS = {
  rc_message: { per_second: 10000, burst_count: 10000 },
  rc_room_creation: { per_second: 10000, burst_count: 10000 },
  rc_joins: { local: { per_second: 10000, burst_count: 10000 }, remote: { per_second: 10000, burst_count: 10000 } },
  rc_joins_per_room: { per_second: 10000, burst_count: 10000 },
  rc_invites: {
    per_room: { per_second: 10000, burst_count: 10000 },
    per_user: { per_second: 10000, burst_count: 10000 },
    per_issuer: { per_second: 10000, burst_count: 10000 },
  },
};
