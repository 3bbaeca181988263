ALTER TABLE `room_memberships` ADD `ban_content` text;
--> statement-breakpoint
-- Hand-added: existing bans get their events' content (json_extract gives an object as JSON text).
UPDATE room_memberships SET ban_content = (
  SELECT json_extract(e.pdu, '$.content') FROM events e WHERE e.stream_ordering = room_memberships.stream_ordering
) WHERE membership = 'ban';
