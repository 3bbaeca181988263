CREATE TABLE `access_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`device_id` text,
	`valid_until_ts` integer,
	`refresh_token_hash` text,
	`puppets_user_id` text,
	`created_ts` integer NOT NULL,
	`last_used_ts` integer,
	`used` integer DEFAULT false NOT NULL,
	`last_validated_ts` integer
);

--> statement-breakpoint
CREATE INDEX `access_tokens_user_device` ON `access_tokens` (`user_id`,`device_id`);
--> statement-breakpoint
CREATE INDEX `access_tokens_refresh_token` ON `access_tokens` (`refresh_token_hash`);
--> statement-breakpoint
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
CREATE TABLE `erased_users` (
	`user_id` text PRIMARY KEY NOT NULL,
	`erased_ts` integer NOT NULL
);

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
CREATE INDEX `events_relates_to` ON `events` (`relates_to`,`rel_type`,`stream_ordering`) WHERE relates_to IS NOT NULL;
--> statement-breakpoint
CREATE INDEX `events_room_threads` ON `events` (`room_id`,`rel_type`,`relates_to`,`stream_ordering`) WHERE rel_type IS NOT NULL;
--> statement-breakpoint
CREATE INDEX `events_member_changes` ON `events` (`state_key`,`type`,`stream_ordering`) WHERE state_key IS NOT NULL;
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
CREATE TABLE `push_room_members` (
	`room_id` text NOT NULL,
	`user_id` text NOT NULL,
	`since_stream` integer NOT NULL,
	PRIMARY KEY(`room_id`, `user_id`)
);

--> statement-breakpoint
CREATE INDEX `push_room_members_user` ON `push_room_members` (`user_id`);
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
CREATE TABLE `ratelimit_override` (
	`user_id` text PRIMARY KEY NOT NULL,
	`messages_per_second` real,
	`burst_count` integer
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
	`ultimate_session_expiry_ts` integer,
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
CREATE TABLE `room_aliases` (
	`room_alias` text PRIMARY KEY NOT NULL,
	`room_id` text NOT NULL,
	`creator` text NOT NULL,
	`created_ts` integer NOT NULL
);

--> statement-breakpoint
CREATE INDEX `room_aliases_room` ON `room_aliases` (`room_id`);
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
CREATE TABLE `server_signing_keys` (
	`key_id` text PRIMARY KEY NOT NULL,
	`public_key` text NOT NULL,
	`created_ts` integer NOT NULL,
	`expired_ts` integer
);

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
CREATE TABLE `users` (
	`user_id` text PRIMARY KEY NOT NULL,
	`user_id_lower` text,
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

--> statement-breakpoint
CREATE INDEX `users_user_id_lower` ON `users` (`user_id_lower`);
