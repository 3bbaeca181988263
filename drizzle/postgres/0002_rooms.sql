CREATE TABLE "admin_tasks" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"room_id" text NOT NULL,
	"status" text NOT NULL,
	"result" json,
	"error" text,
	"created_ts" bigint NOT NULL,
	"updated_ts" bigint NOT NULL
);

--> statement-breakpoint
CREATE TABLE "blocked_rooms" (
	"room_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"created_ts" bigint NOT NULL
);

--> statement-breakpoint
CREATE TABLE "erased_users" (
	"user_id" text PRIMARY KEY NOT NULL,
	"erased_ts" bigint NOT NULL
);

--> statement-breakpoint
CREATE TABLE "event_reports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"received_ts" bigint NOT NULL,
	"room_id" text NOT NULL,
	"event_id" text NOT NULL,
	"user_id" text NOT NULL,
	"event_sender" text NOT NULL,
	"reason" text,
	"score" bigint
);

--> statement-breakpoint
CREATE TABLE "event_txn_ids" (
	"scope" text NOT NULL,
	"room_id" text NOT NULL,
	"txn_id" text NOT NULL,
	"event_id" text NOT NULL,
	"created_ts" bigint NOT NULL,
	CONSTRAINT "event_txn_ids_scope_room_id_txn_id_pk" PRIMARY KEY("scope","room_id","txn_id")
);

--> statement-breakpoint
CREATE TABLE "events" (
	"stream_ordering" bigint PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"room_id" text NOT NULL,
	"depth" bigint NOT NULL,
	"type" text NOT NULL,
	"state_key" text,
	"sender" text NOT NULL,
	"origin_server_ts" bigint NOT NULL,
	"membership" text,
	"pdu" text NOT NULL,
	"unsigned" text,
	"state_group" bigint NOT NULL,
	"redacted_by" text,
	"rel_type" text,
	"relates_to" text,
	"contains_url" boolean DEFAULT false NOT NULL,
	"txn_scope" text,
	"txn_id" text
);

--> statement-breakpoint
CREATE TABLE "room_current_state" (
	"room_id" text NOT NULL,
	"type" text NOT NULL,
	"state_key" text NOT NULL,
	"event_id" text NOT NULL,
	CONSTRAINT "room_current_state_room_id_type_state_key_pk" PRIMARY KEY("room_id","type","state_key")
);

--> statement-breakpoint
CREATE TABLE "room_forward_extremities" (
	"room_id" text NOT NULL,
	"event_id" text NOT NULL,
	CONSTRAINT "room_forward_extremities_room_id_event_id_pk" PRIMARY KEY("room_id","event_id")
);

--> statement-breakpoint
CREATE TABLE "room_memberships" (
	"room_id" text NOT NULL,
	"user_id" text NOT NULL,
	"membership" text NOT NULL,
	"event_id" text NOT NULL,
	"stream_ordering" bigint NOT NULL,
	"sender" text NOT NULL,
	"displayname" text,
	"avatar_url" text,
	"forgotten" boolean DEFAULT false NOT NULL,
	CONSTRAINT "room_memberships_room_id_user_id_pk" PRIMARY KEY("room_id","user_id")
);

--> statement-breakpoint
CREATE TABLE "rooms" (
	"room_id" text PRIMARY KEY NOT NULL,
	"room_version" text NOT NULL,
	"creator" text NOT NULL,
	"created_ts" bigint NOT NULL,
	"is_public" boolean DEFAULT false NOT NULL,
	"room_type" text
);

--> statement-breakpoint
CREATE TABLE "state_group_entries" (
	"group_id" bigint NOT NULL,
	"type" text NOT NULL,
	"state_key" text NOT NULL,
	"event_id" text NOT NULL,
	CONSTRAINT "state_group_entries_group_id_type_state_key_pk" PRIMARY KEY("group_id","type","state_key")
);

--> statement-breakpoint
CREATE TABLE "state_groups" (
	"id" bigint PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"prev_group" bigint,
	"hops" bigint NOT NULL,
	"base_size" bigint NOT NULL
);

--> statement-breakpoint
CREATE INDEX "admin_tasks_room" ON "admin_tasks" USING btree ("room_id","kind");
--> statement-breakpoint
CREATE INDEX "admin_tasks_updated" ON "admin_tasks" USING btree ("updated_ts");
--> statement-breakpoint
CREATE INDEX "event_reports_room" ON "event_reports" USING btree ("room_id","id");
--> statement-breakpoint
CREATE INDEX "event_reports_user" ON "event_reports" USING btree ("user_id","id");
--> statement-breakpoint
CREATE INDEX "event_reports_sender" ON "event_reports" USING btree ("event_sender","id");
--> statement-breakpoint
CREATE UNIQUE INDEX "events_event_id" ON "events" USING btree ("event_id");
--> statement-breakpoint
CREATE INDEX "events_room_topo" ON "events" USING btree ("room_id","depth","stream_ordering");
--> statement-breakpoint
CREATE INDEX "events_room_stream" ON "events" USING btree ("room_id","stream_ordering");
--> statement-breakpoint
CREATE INDEX "events_room_ts" ON "events" USING btree ("room_id","origin_server_ts");
--> statement-breakpoint
CREATE INDEX "events_relates_to" ON "events" USING btree ("relates_to","rel_type","stream_ordering");
--> statement-breakpoint
CREATE INDEX "events_room_threads" ON "events" USING btree ("room_id","rel_type","relates_to","stream_ordering");
--> statement-breakpoint
CREATE INDEX "events_member_changes" ON "events" USING btree ("state_key","type","stream_ordering");
--> statement-breakpoint
CREATE INDEX "room_memberships_user" ON "room_memberships" USING btree ("user_id","membership");
--> statement-breakpoint
CREATE INDEX "room_memberships_room" ON "room_memberships" USING btree ("room_id","membership");
--> statement-breakpoint
CREATE INDEX "rooms_is_public" ON "rooms" USING btree ("is_public");
--> statement-breakpoint
CREATE INDEX "state_groups_room" ON "state_groups" USING btree ("room_id");
