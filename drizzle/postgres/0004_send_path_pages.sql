ALTER TABLE "event_txn_ids" DISABLE ROW LEVEL SECURITY;
--> statement-breakpoint
DROP TABLE "event_txn_ids" CASCADE;
--> statement-breakpoint
DROP INDEX "event_push_defaults_ts";
--> statement-breakpoint
ALTER TABLE "event_push_defaults" DROP CONSTRAINT "event_push_defaults_pkey";
--> statement-breakpoint
ALTER TABLE "event_push_defaults" ADD PRIMARY KEY ("stream_ordering");
--> statement-breakpoint
CREATE INDEX "events_txn" ON "events" USING btree ("txn_scope","room_id","txn_id") WHERE txn_id IS NOT NULL;
