-- Written by hand (data only): member events are kept in room_memberships alone, so their
-- rows in room_current_state go. A membership change then writes one row instead of two.
DELETE FROM room_current_state WHERE type = 'm.room.member';
