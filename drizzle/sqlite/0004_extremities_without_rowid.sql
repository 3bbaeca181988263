-- Written by hand (drizzle-kit cannot express WITHOUT ROWID): every event replaces its
-- room's forward extremities, and as a WITHOUT ROWID table that is one b-tree page per
-- commit instead of two (a rowid table plus the primary key's index).
CREATE TABLE `__new_room_forward_extremities` (
	`room_id` text NOT NULL,
	`event_id` text NOT NULL,
	PRIMARY KEY(`room_id`, `event_id`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_room_forward_extremities` (`room_id`, `event_id`) SELECT `room_id`, `event_id` FROM `room_forward_extremities`;
--> statement-breakpoint
DROP TABLE `room_forward_extremities`;
--> statement-breakpoint
ALTER TABLE `__new_room_forward_extremities` RENAME TO `room_forward_extremities`;
