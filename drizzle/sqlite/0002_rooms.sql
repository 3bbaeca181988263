CREATE TABLE `admin_tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`room_id` text NOT NULL,
	`status` text NOT NULL,
	`result` text,
	`error` text,
	`created_ts` integer NOT NULL,
	`updated_ts` integer NOT NULL
);

--> statement-breakpoint
CREATE INDEX `admin_tasks_room` ON `admin_tasks` (`room_id`,`kind`);
--> statement-breakpoint
CREATE INDEX `admin_tasks_updated` ON `admin_tasks` (`updated_ts`);
--> statement-breakpoint
CREATE TABLE `blocked_rooms` (
	`room_id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`created_ts` integer NOT NULL
);

--> statement-breakpoint
CREATE TABLE `erased_users` (
	`user_id` text PRIMARY KEY NOT NULL,
	`erased_ts` integer NOT NULL
);

--> statement-breakpoint
CREATE TABLE `event_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`received_ts` integer NOT NULL,
	`room_id` text NOT NULL,
	`event_id` text NOT NULL,
	`user_id` text NOT NULL,
	`event_sender` text NOT NULL,
	`reason` text,
	`score` integer
);

--> statement-breakpoint
CREATE INDEX `event_reports_room` ON `event_reports` (`room_id`,`id`);
--> statement-breakpoint
CREATE INDEX `event_reports_user` ON `event_reports` (`user_id`,`id`);
--> statement-breakpoint
CREATE INDEX `event_reports_sender` ON `event_reports` (`event_sender`,`id`);
--> statement-breakpoint
CREATE TABLE `event_txn_ids` (
	`scope` text NOT NULL,
	`room_id` text NOT NULL,
	`txn_id` text NOT NULL,
	`event_id` text NOT NULL,
	`created_ts` integer NOT NULL,
	PRIMARY KEY(`scope`, `room_id`, `txn_id`)
);

--> statement-breakpoint
CREATE TABLE `events` (
	`stream_ordering` integer PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`room_id` text NOT NULL,
	`depth` integer NOT NULL,
	`type` text NOT NULL,
	`state_key` text,
	`sender` text NOT NULL,
	`origin_server_ts` integer NOT NULL,
	`membership` text,
	`pdu` text NOT NULL,
	`unsigned` text,
	`state_group` integer NOT NULL,
	`redacted_by` text,
	`rel_type` text,
	`relates_to` text,
	`contains_url` integer DEFAULT false NOT NULL,
	`txn_scope` text,
	`txn_id` text
);

--> statement-breakpoint
CREATE UNIQUE INDEX `events_event_id` ON `events` (`event_id`);
--> statement-breakpoint
CREATE INDEX `events_room_topo` ON `events` (`room_id`,`depth`,`stream_ordering`);
--> statement-breakpoint
CREATE INDEX `events_room_stream` ON `events` (`room_id`,`stream_ordering`);
--> statement-breakpoint
CREATE INDEX `events_room_ts` ON `events` (`room_id`,`origin_server_ts`);
--> statement-breakpoint
CREATE INDEX `events_relates_to` ON `events` (`relates_to`,`rel_type`,`stream_ordering`);
--> statement-breakpoint
CREATE INDEX `events_room_threads` ON `events` (`room_id`,`rel_type`,`relates_to`,`stream_ordering`);
--> statement-breakpoint
CREATE INDEX `events_member_changes` ON `events` (`state_key`,`type`,`stream_ordering`);
--> statement-breakpoint
CREATE TABLE `room_current_state` (
	`room_id` text NOT NULL,
	`type` text NOT NULL,
	`state_key` text NOT NULL,
	`event_id` text NOT NULL,
	PRIMARY KEY(`room_id`, `type`, `state_key`)
);

--> statement-breakpoint
CREATE TABLE `room_forward_extremities` (
	`room_id` text NOT NULL,
	`event_id` text NOT NULL,
	PRIMARY KEY(`room_id`, `event_id`)
);

--> statement-breakpoint
CREATE TABLE `room_memberships` (
	`room_id` text NOT NULL,
	`user_id` text NOT NULL,
	`membership` text NOT NULL,
	`event_id` text NOT NULL,
	`stream_ordering` integer NOT NULL,
	`sender` text NOT NULL,
	`displayname` text,
	`avatar_url` text,
	`forgotten` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`room_id`, `user_id`)
);

--> statement-breakpoint
CREATE INDEX `room_memberships_user` ON `room_memberships` (`user_id`,`membership`);
--> statement-breakpoint
CREATE INDEX `room_memberships_room` ON `room_memberships` (`room_id`,`membership`);
--> statement-breakpoint
CREATE TABLE `rooms` (
	`room_id` text PRIMARY KEY NOT NULL,
	`room_version` text NOT NULL,
	`creator` text NOT NULL,
	`created_ts` integer NOT NULL,
	`is_public` integer DEFAULT false NOT NULL,
	`room_type` text
);

--> statement-breakpoint
CREATE INDEX `rooms_is_public` ON `rooms` (`is_public`);
--> statement-breakpoint
CREATE TABLE `state_group_entries` (
	`group_id` integer NOT NULL,
	`type` text NOT NULL,
	`state_key` text NOT NULL,
	`event_id` text NOT NULL,
	PRIMARY KEY(`group_id`, `type`, `state_key`)
);

--> statement-breakpoint
CREATE TABLE `state_groups` (
	`id` integer PRIMARY KEY NOT NULL,
	`room_id` text NOT NULL,
	`prev_group` integer,
	`hops` integer NOT NULL,
	`base_size` integer NOT NULL
);

--> statement-breakpoint
CREATE INDEX `state_groups_room` ON `state_groups` (`room_id`);
