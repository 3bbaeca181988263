DROP TABLE `event_txn_ids`;
--> statement-breakpoint
PRAGMA foreign_keys=OFF;
--> statement-breakpoint
CREATE TABLE `__new_event_push_defaults` (
	`stream_ordering` integer PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`room_id` text NOT NULL,
	`thread_id` text NOT NULL,
	`sender` text NOT NULL,
	`notif` integer NOT NULL,
	`highlight` integer NOT NULL,
	`actions` text NOT NULL,
	`ts` integer NOT NULL
);

--> statement-breakpoint
INSERT INTO `__new_event_push_defaults`("stream_ordering", "event_id", "room_id", "thread_id", "sender", "notif", "highlight", "actions", "ts") SELECT "stream_ordering", "event_id", "room_id", "thread_id", "sender", "notif", "highlight", "actions", "ts" FROM `event_push_defaults`;
--> statement-breakpoint
DROP TABLE `event_push_defaults`;
--> statement-breakpoint
ALTER TABLE `__new_event_push_defaults` RENAME TO `event_push_defaults`;
--> statement-breakpoint
PRAGMA foreign_keys=ON;
--> statement-breakpoint
CREATE INDEX `event_push_defaults_room_stream` ON `event_push_defaults` (`room_id`,`stream_ordering`);
--> statement-breakpoint
CREATE INDEX `events_txn` ON `events` (`txn_scope`,`room_id`,`txn_id`) WHERE txn_id IS NOT NULL;
