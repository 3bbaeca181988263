CREATE TABLE "event_push_defaults" (
	"event_id" text PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"stream_ordering" bigint NOT NULL,
	"thread_id" text NOT NULL,
	"sender" text NOT NULL,
	"notif" boolean NOT NULL,
	"highlight" boolean NOT NULL,
	"actions" json NOT NULL,
	"ts" bigint NOT NULL
);

--> statement-breakpoint
CREATE TABLE "push_room_members" (
	"room_id" text NOT NULL,
	"user_id" text NOT NULL,
	"since_stream" bigint NOT NULL,
	CONSTRAINT "push_room_members_room_id_user_id_pk" PRIMARY KEY("room_id","user_id")
);

--> statement-breakpoint
CREATE INDEX "event_push_defaults_room_stream" ON "event_push_defaults" USING btree ("room_id","stream_ordering");
--> statement-breakpoint
CREATE INDEX "push_room_members_user" ON "push_room_members" USING btree ("user_id");
