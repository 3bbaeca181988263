CREATE INDEX `event_push_actions_ts` ON `event_push_actions` (`ts`);
--> statement-breakpoint
CREATE INDEX `event_push_defaults_ts` ON `event_push_defaults` (`ts`);
