CREATE TABLE `account_data` (
	`stream_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`room_id` text NOT NULL,
	`type` text NOT NULL,
	`content` text NOT NULL
);

--> statement-breakpoint
CREATE UNIQUE INDEX `account_data_user_room_type` ON `account_data` (`user_id`,`room_id`,`type`);
--> statement-breakpoint
CREATE INDEX `account_data_user_stream` ON `account_data` (`user_id`,`stream_id`);
--> statement-breakpoint
CREATE TABLE `e2e_cross_signing_keys` (
	`user_id` text NOT NULL,
	`key_type` text NOT NULL,
	`public_key` text NOT NULL,
	`key_json` text NOT NULL,
	`updated_ts` integer NOT NULL,
	`replaceable_without_uia_until_ts` integer,
	PRIMARY KEY(`user_id`, `key_type`)
);

--> statement-breakpoint
CREATE TABLE `e2e_cross_signing_signatures` (
	`signer_user_id` text NOT NULL,
	`signer_key_id` text NOT NULL,
	`target_user_id` text NOT NULL,
	`target_key_id` text NOT NULL,
	`signature` text NOT NULL,
	PRIMARY KEY(`target_user_id`, `target_key_id`, `signer_user_id`, `signer_key_id`)
);

--> statement-breakpoint
CREATE TABLE `e2e_device_keys` (
	`user_id` text NOT NULL,
	`device_id` text NOT NULL,
	`key_json` text NOT NULL,
	`updated_ts` integer NOT NULL,
	PRIMARY KEY(`user_id`, `device_id`)
);

--> statement-breakpoint
CREATE TABLE `e2e_device_list_stream` (
	`stream_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`visible_to` text,
	`created_ts` integer NOT NULL
);

--> statement-breakpoint
CREATE INDEX `e2e_device_list_stream_user` ON `e2e_device_list_stream` (`user_id`,`stream_id`);
--> statement-breakpoint
CREATE TABLE `e2e_fallback_keys` (
	`user_id` text NOT NULL,
	`device_id` text NOT NULL,
	`algorithm` text NOT NULL,
	`key_id` text NOT NULL,
	`key_json` text NOT NULL,
	`used` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`user_id`, `device_id`, `algorithm`)
);

--> statement-breakpoint
CREATE TABLE `e2e_one_time_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`device_id` text NOT NULL,
	`algorithm` text NOT NULL,
	`key_id` text NOT NULL,
	`key_json` text NOT NULL,
	`created_ts` integer NOT NULL
);

--> statement-breakpoint
CREATE INDEX `e2e_one_time_keys_claim` ON `e2e_one_time_keys` (`user_id`,`device_id`,`algorithm`,`id`);
--> statement-breakpoint
CREATE UNIQUE INDEX `e2e_one_time_keys_key` ON `e2e_one_time_keys` (`user_id`,`device_id`,`algorithm`,`key_id`);
--> statement-breakpoint
CREATE TABLE `e2e_room_keys` (
	`user_id` text NOT NULL,
	`version` integer NOT NULL,
	`room_id` text NOT NULL,
	`session_id` text NOT NULL,
	`first_message_index` integer NOT NULL,
	`forwarded_count` integer NOT NULL,
	`is_verified` integer NOT NULL,
	`session_data` text NOT NULL,
	PRIMARY KEY(`user_id`, `version`, `room_id`, `session_id`)
);

--> statement-breakpoint
CREATE TABLE `e2e_room_keys_versions` (
	`user_id` text NOT NULL,
	`version` integer NOT NULL,
	`algorithm` text NOT NULL,
	`auth_data` text NOT NULL,
	`etag` integer DEFAULT 0 NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`user_id`, `version`)
);

--> statement-breakpoint
CREATE TABLE `e2e_to_device_inbox` (
	`stream_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`device_id` text NOT NULL,
	`message_json` text NOT NULL,
	`created_ts` integer NOT NULL
);

--> statement-breakpoint
CREATE INDEX `e2e_to_device_inbox_device` ON `e2e_to_device_inbox` (`user_id`,`device_id`,`stream_id`);
--> statement-breakpoint
CREATE TABLE `e2e_to_device_txns` (
	`user_id` text NOT NULL,
	`scope` text NOT NULL,
	`txn_id` text NOT NULL,
	`created_ts` integer NOT NULL,
	PRIMARY KEY(`user_id`, `scope`, `txn_id`)
);

--> statement-breakpoint
CREATE INDEX `e2e_to_device_txns_created` ON `e2e_to_device_txns` (`created_ts`);
--> statement-breakpoint
CREATE TABLE `event_push_actions` (
	`user_id` text NOT NULL,
	`event_id` text NOT NULL,
	`room_id` text NOT NULL,
	`stream_ordering` integer NOT NULL,
	`thread_id` text NOT NULL,
	`notif` integer NOT NULL,
	`highlight` integer NOT NULL,
	`actions` text NOT NULL,
	`ts` integer NOT NULL,
	PRIMARY KEY(`user_id`, `event_id`)
);

--> statement-breakpoint
CREATE INDEX `event_push_actions_user_room_stream` ON `event_push_actions` (`user_id`,`room_id`,`stream_ordering`);
--> statement-breakpoint
CREATE INDEX `event_push_actions_user_stream` ON `event_push_actions` (`user_id`,`stream_ordering`);
--> statement-breakpoint
CREATE TABLE `presence` (
	`user_id` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`status_msg` text,
	`last_active_ts` integer NOT NULL,
	`last_sync_ts` integer NOT NULL,
	`currently_active` integer NOT NULL,
	`stream_id` integer NOT NULL
);

--> statement-breakpoint
CREATE INDEX `presence_stream_id` ON `presence` (`stream_id`);
--> statement-breakpoint
CREATE TABLE `profile_fields` (
	`user_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`user_id`, `key`)
);

--> statement-breakpoint
CREATE TABLE `push_rule_default_overrides` (
	`user_id` text NOT NULL,
	`kind` text NOT NULL,
	`rule_id` text NOT NULL,
	`enabled` integer,
	`actions` text,
	PRIMARY KEY(`user_id`, `kind`, `rule_id`)
);

--> statement-breakpoint
CREATE TABLE `push_rules` (
	`user_id` text NOT NULL,
	`kind` text NOT NULL,
	`rule_id` text NOT NULL,
	`priority` integer NOT NULL,
	`conditions` text,
	`pattern` text,
	`actions` text NOT NULL,
	`enabled` integer NOT NULL,
	PRIMARY KEY(`user_id`, `kind`, `rule_id`)
);

--> statement-breakpoint
CREATE TABLE `receipts` (
	`room_id` text NOT NULL,
	`receipt_type` text NOT NULL,
	`user_id` text NOT NULL,
	`thread_id` text NOT NULL,
	`event_id` text NOT NULL,
	`event_stream_ordering` integer NOT NULL,
	`data` text NOT NULL,
	`stream_id` integer NOT NULL,
	PRIMARY KEY(`room_id`, `receipt_type`, `user_id`, `thread_id`)
);

--> statement-breakpoint
CREATE INDEX `receipts_stream_id` ON `receipts` (`stream_id`);
--> statement-breakpoint
CREATE INDEX `receipts_room_stream` ON `receipts` (`room_id`,`stream_id`);
--> statement-breakpoint
CREATE INDEX `receipts_user_room` ON `receipts` (`user_id`,`room_id`);
--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`device_id` text NOT NULL,
	`next_token_hash` text,
	`expiry_ts` integer,
	`created_ts` integer NOT NULL
);

--> statement-breakpoint
CREATE INDEX `refresh_tokens_user_device` ON `refresh_tokens` (`user_id`,`device_id`);
--> statement-breakpoint
CREATE INDEX `refresh_tokens_next` ON `refresh_tokens` (`next_token_hash`);
--> statement-breakpoint
CREATE TABLE `registration_tokens` (
	`token` text PRIMARY KEY NOT NULL,
	`uses_allowed` integer,
	`pending` integer DEFAULT 0 NOT NULL,
	`completed` integer DEFAULT 0 NOT NULL,
	`expiry_time` integer
);

--> statement-breakpoint
CREATE TABLE `stream_positions` (
	`stream` text PRIMARY KEY NOT NULL,
	`position` integer NOT NULL
);

--> statement-breakpoint
CREATE TABLE `ui_auth_sessions` (
	`session_id` text PRIMARY KEY NOT NULL,
	`created_ts` integer NOT NULL,
	`uri` text NOT NULL,
	`method` text NOT NULL,
	`clientdict` text NOT NULL,
	`data` text NOT NULL,
	`completed` text NOT NULL
);

--> statement-breakpoint
CREATE INDEX `ui_auth_sessions_created` ON `ui_auth_sessions` (`created_ts`);
--> statement-breakpoint
CREATE TABLE `user_filters` (
	`user_id` text NOT NULL,
	`filter_id` integer NOT NULL,
	`filter_json` text NOT NULL,
	PRIMARY KEY(`user_id`, `filter_id`)
);

--> statement-breakpoint
ALTER TABLE `access_tokens` ADD `used` integer DEFAULT false NOT NULL;
--> statement-breakpoint
CREATE INDEX `access_tokens_refresh_token` ON `access_tokens` (`refresh_token_hash`);
--> statement-breakpoint
ALTER TABLE `users` ADD `user_id_lower` text;
--> statement-breakpoint
CREATE INDEX `users_user_id_lower` ON `users` (`user_id_lower`);
