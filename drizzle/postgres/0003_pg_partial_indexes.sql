DROP INDEX "events_relates_to";
--> statement-breakpoint
DROP INDEX "events_room_threads";
--> statement-breakpoint
DROP INDEX "events_member_changes";
--> statement-breakpoint
CREATE INDEX "events_relates_to" ON "events" USING btree ("relates_to","rel_type","stream_ordering") WHERE relates_to IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "events_room_threads" ON "events" USING btree ("room_id","rel_type","relates_to","stream_ordering") WHERE rel_type IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "events_member_changes" ON "events" USING btree ("state_key","type","stream_ordering") WHERE state_key IS NOT NULL;
