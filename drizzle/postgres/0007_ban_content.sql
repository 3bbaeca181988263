ALTER TABLE "room_memberships" ADD COLUMN "ban_content" text;
--> statement-breakpoint
-- Hand-added: existing bans get their events' content.
UPDATE room_memberships m SET ban_content = (e.pdu::json -> 'content')::text
FROM events e WHERE e.stream_ordering = m.stream_ordering AND m.membership = 'ban';
