CREATE TABLE "room_aliases" (
	"room_alias" text PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"creator" text NOT NULL,
	"created_ts" bigint NOT NULL
);

--> statement-breakpoint
CREATE INDEX "room_aliases_room" ON "room_aliases" USING btree ("room_id");
