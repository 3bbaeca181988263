CREATE TABLE `event_push_defaults` (
	`event_id` text PRIMARY KEY NOT NULL,
	`room_id` text NOT NULL,
	`stream_ordering` integer NOT NULL,
	`thread_id` text NOT NULL,
	`sender` text NOT NULL,
	`notif` integer NOT NULL,
	`highlight` integer NOT NULL,
	`actions` text NOT NULL,
	`ts` integer NOT NULL
);

--> statement-breakpoint
CREATE INDEX `event_push_defaults_room_stream` ON `event_push_defaults` (`room_id`,`stream_ordering`);
--> statement-breakpoint
CREATE TABLE `push_room_members` (
	`room_id` text NOT NULL,
	`user_id` text NOT NULL,
	`since_stream` integer NOT NULL,
	PRIMARY KEY(`room_id`, `user_id`)
);

--> statement-breakpoint
CREATE INDEX `push_room_members_user` ON `push_room_members` (`user_id`);
