CREATE TABLE `access_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`device_id` text,
	`valid_until_ts` integer,
	`refresh_token_hash` text,
	`puppets_user_id` text,
	`created_ts` integer NOT NULL,
	`last_used_ts` integer
);

--> statement-breakpoint
CREATE INDEX `access_tokens_user_device` ON `access_tokens` (`user_id`,`device_id`);
--> statement-breakpoint
CREATE TABLE `devices` (
	`user_id` text NOT NULL,
	`device_id` text NOT NULL,
	`display_name` text,
	`last_seen_ts` integer,
	`last_seen_ip` text,
	`last_seen_user_agent` text,
	`created_ts` integer NOT NULL,
	PRIMARY KEY(`user_id`, `device_id`)
);

--> statement-breakpoint
CREATE TABLE `ratelimit_override` (
	`user_id` text PRIMARY KEY NOT NULL,
	`messages_per_second` real,
	`burst_count` integer
);

--> statement-breakpoint
CREATE TABLE `server_signing_keys` (
	`key_id` text PRIMARY KEY NOT NULL,
	`public_key` text NOT NULL,
	`created_ts` integer NOT NULL,
	`expired_ts` integer
);

--> statement-breakpoint
CREATE TABLE `users` (
	`user_id` text PRIMARY KEY NOT NULL,
	`password_hash` text,
	`admin` integer DEFAULT false NOT NULL,
	`is_guest` integer DEFAULT false NOT NULL,
	`deactivated` integer DEFAULT false NOT NULL,
	`locked` integer DEFAULT false NOT NULL,
	`shadow_banned` integer DEFAULT false NOT NULL,
	`user_type` text,
	`displayname` text,
	`avatar_url` text,
	`created_ts` integer NOT NULL
);

