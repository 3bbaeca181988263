CREATE TABLE "access_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"device_id" text,
	"valid_until_ts" bigint,
	"refresh_token_hash" text,
	"puppets_user_id" text,
	"created_ts" bigint NOT NULL,
	"last_used_ts" bigint,
	"used" boolean DEFAULT false NOT NULL,
	"last_validated_ts" bigint
);

--> statement-breakpoint
CREATE TABLE "account_data" (
	"stream_id" bigserial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"room_id" text NOT NULL,
	"type" text NOT NULL,
	"content" json NOT NULL
);

--> statement-breakpoint
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
CREATE TABLE "devices" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"display_name" text,
	"last_seen_ts" bigint,
	"last_seen_ip" text,
	"last_seen_user_agent" text,
	"created_ts" bigint NOT NULL,
	CONSTRAINT "devices_user_id_device_id_pk" PRIMARY KEY("user_id","device_id")
);

--> statement-breakpoint
CREATE TABLE "e2e_cross_signing_keys" (
	"user_id" text NOT NULL,
	"key_type" text NOT NULL,
	"public_key" text NOT NULL,
	"key_json" json NOT NULL,
	"updated_ts" bigint NOT NULL,
	"replaceable_without_uia_until_ts" bigint,
	CONSTRAINT "e2e_cross_signing_keys_user_id_key_type_pk" PRIMARY KEY("user_id","key_type")
);

--> statement-breakpoint
CREATE TABLE "e2e_cross_signing_signatures" (
	"signer_user_id" text NOT NULL,
	"signer_key_id" text NOT NULL,
	"target_user_id" text NOT NULL,
	"target_key_id" text NOT NULL,
	"signature" text NOT NULL,
	CONSTRAINT "e2e_cross_signing_signatures_target_user_id_target_key_id_signer_user_id_signer_key_id_pk" PRIMARY KEY("target_user_id","target_key_id","signer_user_id","signer_key_id")
);

--> statement-breakpoint
CREATE TABLE "e2e_device_keys" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"key_json" json NOT NULL,
	"updated_ts" bigint NOT NULL,
	CONSTRAINT "e2e_device_keys_user_id_device_id_pk" PRIMARY KEY("user_id","device_id")
);

--> statement-breakpoint
CREATE TABLE "e2e_device_list_stream" (
	"stream_id" bigserial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"visible_to" text,
	"created_ts" bigint NOT NULL
);

--> statement-breakpoint
CREATE TABLE "e2e_fallback_keys" (
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"algorithm" text NOT NULL,
	"key_id" text NOT NULL,
	"key_json" json NOT NULL,
	"used" boolean DEFAULT false NOT NULL,
	CONSTRAINT "e2e_fallback_keys_user_id_device_id_algorithm_pk" PRIMARY KEY("user_id","device_id","algorithm")
);

--> statement-breakpoint
CREATE TABLE "e2e_one_time_keys" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"algorithm" text NOT NULL,
	"key_id" text NOT NULL,
	"key_json" json NOT NULL,
	"created_ts" bigint NOT NULL
);

--> statement-breakpoint
CREATE TABLE "e2e_room_keys" (
	"user_id" text NOT NULL,
	"version" bigint NOT NULL,
	"room_id" text NOT NULL,
	"session_id" text NOT NULL,
	"first_message_index" bigint NOT NULL,
	"forwarded_count" bigint NOT NULL,
	"is_verified" boolean NOT NULL,
	"session_data" json NOT NULL,
	CONSTRAINT "e2e_room_keys_user_id_version_room_id_session_id_pk" PRIMARY KEY("user_id","version","room_id","session_id")
);

--> statement-breakpoint
CREATE TABLE "e2e_room_keys_versions" (
	"user_id" text NOT NULL,
	"version" bigint NOT NULL,
	"algorithm" text NOT NULL,
	"auth_data" json NOT NULL,
	"etag" bigint DEFAULT 0 NOT NULL,
	"deleted" boolean DEFAULT false NOT NULL,
	CONSTRAINT "e2e_room_keys_versions_user_id_version_pk" PRIMARY KEY("user_id","version")
);

--> statement-breakpoint
CREATE TABLE "e2e_to_device_inbox" (
	"stream_id" bigserial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"message_json" json NOT NULL,
	"created_ts" bigint NOT NULL
);

--> statement-breakpoint
CREATE TABLE "e2e_to_device_txns" (
	"user_id" text NOT NULL,
	"scope" text NOT NULL,
	"txn_id" text NOT NULL,
	"created_ts" bigint NOT NULL,
	CONSTRAINT "e2e_to_device_txns_user_id_scope_txn_id_pk" PRIMARY KEY("user_id","scope","txn_id")
);

--> statement-breakpoint
CREATE TABLE "erased_users" (
	"user_id" text PRIMARY KEY NOT NULL,
	"erased_ts" bigint NOT NULL
);

--> statement-breakpoint
CREATE TABLE "event_push_actions" (
	"user_id" text NOT NULL,
	"event_id" text NOT NULL,
	"room_id" text NOT NULL,
	"stream_ordering" bigint NOT NULL,
	"thread_id" text NOT NULL,
	"notif" boolean NOT NULL,
	"highlight" boolean NOT NULL,
	"actions" json NOT NULL,
	"ts" bigint NOT NULL,
	CONSTRAINT "event_push_actions_user_id_event_id_pk" PRIMARY KEY("user_id","event_id")
);

--> statement-breakpoint
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
CREATE TABLE "presence" (
	"user_id" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"status_msg" text,
	"last_active_ts" bigint NOT NULL,
	"last_sync_ts" bigint NOT NULL,
	"currently_active" boolean NOT NULL,
	"stream_id" bigint NOT NULL
);

--> statement-breakpoint
CREATE TABLE "profile_fields" (
	"user_id" text NOT NULL,
	"key" text NOT NULL,
	"value" json NOT NULL,
	CONSTRAINT "profile_fields_user_id_key_pk" PRIMARY KEY("user_id","key")
);

--> statement-breakpoint
CREATE TABLE "push_room_members" (
	"room_id" text NOT NULL,
	"user_id" text NOT NULL,
	"since_stream" bigint NOT NULL,
	CONSTRAINT "push_room_members_room_id_user_id_pk" PRIMARY KEY("room_id","user_id")
);

--> statement-breakpoint
CREATE TABLE "push_rule_default_overrides" (
	"user_id" text NOT NULL,
	"kind" text NOT NULL,
	"rule_id" text NOT NULL,
	"enabled" boolean,
	"actions" json,
	CONSTRAINT "push_rule_default_overrides_user_id_kind_rule_id_pk" PRIMARY KEY("user_id","kind","rule_id")
);

--> statement-breakpoint
CREATE TABLE "push_rules" (
	"user_id" text NOT NULL,
	"kind" text NOT NULL,
	"rule_id" text NOT NULL,
	"priority" bigint NOT NULL,
	"conditions" json,
	"pattern" text,
	"actions" json NOT NULL,
	"enabled" boolean NOT NULL,
	CONSTRAINT "push_rules_user_id_kind_rule_id_pk" PRIMARY KEY("user_id","kind","rule_id")
);

--> statement-breakpoint
CREATE TABLE "ratelimit_override" (
	"user_id" text PRIMARY KEY NOT NULL,
	"messages_per_second" double precision,
	"burst_count" bigint
);

--> statement-breakpoint
CREATE TABLE "receipts" (
	"room_id" text NOT NULL,
	"receipt_type" text NOT NULL,
	"user_id" text NOT NULL,
	"thread_id" text NOT NULL,
	"event_id" text NOT NULL,
	"event_stream_ordering" bigint NOT NULL,
	"data" json NOT NULL,
	"stream_id" bigint NOT NULL,
	CONSTRAINT "receipts_room_id_receipt_type_user_id_thread_id_pk" PRIMARY KEY("room_id","receipt_type","user_id","thread_id")
);

--> statement-breakpoint
CREATE TABLE "refresh_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"device_id" text NOT NULL,
	"next_token_hash" text,
	"expiry_ts" bigint,
	"ultimate_session_expiry_ts" bigint,
	"created_ts" bigint NOT NULL
);

--> statement-breakpoint
CREATE TABLE "registration_tokens" (
	"token" text PRIMARY KEY NOT NULL,
	"uses_allowed" bigint,
	"pending" bigint DEFAULT 0 NOT NULL,
	"completed" bigint DEFAULT 0 NOT NULL,
	"expiry_time" bigint
);

--> statement-breakpoint
CREATE TABLE "room_aliases" (
	"room_alias" text PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"creator" text NOT NULL,
	"created_ts" bigint NOT NULL
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
CREATE TABLE "server_signing_keys" (
	"key_id" text PRIMARY KEY NOT NULL,
	"public_key" text NOT NULL,
	"created_ts" bigint NOT NULL,
	"expired_ts" bigint
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
CREATE TABLE "stream_positions" (
	"stream" text PRIMARY KEY NOT NULL,
	"position" bigint NOT NULL
);

--> statement-breakpoint
CREATE TABLE "ui_auth_sessions" (
	"session_id" text PRIMARY KEY NOT NULL,
	"created_ts" bigint NOT NULL,
	"uri" text NOT NULL,
	"method" text NOT NULL,
	"clientdict" json NOT NULL,
	"data" json NOT NULL,
	"completed" json NOT NULL
);

--> statement-breakpoint
CREATE TABLE "user_filters" (
	"user_id" text NOT NULL,
	"filter_id" bigint NOT NULL,
	"filter_json" json NOT NULL,
	CONSTRAINT "user_filters_user_id_filter_id_pk" PRIMARY KEY("user_id","filter_id")
);

--> statement-breakpoint
CREATE TABLE "users" (
	"user_id" text PRIMARY KEY NOT NULL,
	"user_id_lower" text,
	"password_hash" text,
	"admin" boolean DEFAULT false NOT NULL,
	"is_guest" boolean DEFAULT false NOT NULL,
	"deactivated" boolean DEFAULT false NOT NULL,
	"locked" boolean DEFAULT false NOT NULL,
	"shadow_banned" boolean DEFAULT false NOT NULL,
	"user_type" text,
	"displayname" text,
	"avatar_url" text,
	"created_ts" bigint NOT NULL
);

--> statement-breakpoint
CREATE INDEX "access_tokens_user_device" ON "access_tokens" USING btree ("user_id","device_id");
--> statement-breakpoint
CREATE INDEX "access_tokens_refresh_token" ON "access_tokens" USING btree ("refresh_token_hash");
--> statement-breakpoint
CREATE UNIQUE INDEX "account_data_user_room_type" ON "account_data" USING btree ("user_id","room_id","type");
--> statement-breakpoint
CREATE INDEX "account_data_user_stream" ON "account_data" USING btree ("user_id","stream_id");
--> statement-breakpoint
CREATE INDEX "admin_tasks_room" ON "admin_tasks" USING btree ("room_id","kind");
--> statement-breakpoint
CREATE INDEX "admin_tasks_updated" ON "admin_tasks" USING btree ("updated_ts");
--> statement-breakpoint
CREATE INDEX "e2e_device_list_stream_user" ON "e2e_device_list_stream" USING btree ("user_id","stream_id");
--> statement-breakpoint
CREATE INDEX "e2e_one_time_keys_claim" ON "e2e_one_time_keys" USING btree ("user_id","device_id","algorithm","id");
--> statement-breakpoint
CREATE UNIQUE INDEX "e2e_one_time_keys_key" ON "e2e_one_time_keys" USING btree ("user_id","device_id","algorithm","key_id");
--> statement-breakpoint
CREATE INDEX "e2e_to_device_inbox_device" ON "e2e_to_device_inbox" USING btree ("user_id","device_id","stream_id");
--> statement-breakpoint
CREATE INDEX "e2e_to_device_txns_created" ON "e2e_to_device_txns" USING btree ("created_ts");
--> statement-breakpoint
CREATE INDEX "event_push_actions_user_room_stream" ON "event_push_actions" USING btree ("user_id","room_id","stream_ordering");
--> statement-breakpoint
CREATE INDEX "event_push_actions_user_stream" ON "event_push_actions" USING btree ("user_id","stream_ordering");
--> statement-breakpoint
CREATE INDEX "event_push_defaults_room_stream" ON "event_push_defaults" USING btree ("room_id","stream_ordering");
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
CREATE INDEX "presence_stream_id" ON "presence" USING btree ("stream_id");
--> statement-breakpoint
CREATE INDEX "push_room_members_user" ON "push_room_members" USING btree ("user_id");
--> statement-breakpoint
CREATE INDEX "receipts_stream_id" ON "receipts" USING btree ("stream_id");
--> statement-breakpoint
CREATE INDEX "receipts_room_stream" ON "receipts" USING btree ("room_id","stream_id");
--> statement-breakpoint
CREATE INDEX "receipts_user_room" ON "receipts" USING btree ("user_id","room_id");
--> statement-breakpoint
CREATE INDEX "refresh_tokens_user_device" ON "refresh_tokens" USING btree ("user_id","device_id");
--> statement-breakpoint
CREATE INDEX "refresh_tokens_next" ON "refresh_tokens" USING btree ("next_token_hash");
--> statement-breakpoint
CREATE INDEX "room_aliases_room" ON "room_aliases" USING btree ("room_id");
--> statement-breakpoint
CREATE INDEX "room_memberships_user" ON "room_memberships" USING btree ("user_id","membership");
--> statement-breakpoint
CREATE INDEX "room_memberships_room" ON "room_memberships" USING btree ("room_id","membership");
--> statement-breakpoint
CREATE INDEX "rooms_is_public" ON "rooms" USING btree ("is_public");
--> statement-breakpoint
CREATE INDEX "state_groups_room" ON "state_groups" USING btree ("room_id");
--> statement-breakpoint
CREATE INDEX "ui_auth_sessions_created" ON "ui_auth_sessions" USING btree ("created_ts");
--> statement-breakpoint
CREATE INDEX "users_user_id_lower" ON "users" USING btree ("user_id_lower");
