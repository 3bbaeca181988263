ALTER TABLE `access_tokens` ADD `last_validated_ts` integer;
--> statement-breakpoint
ALTER TABLE `refresh_tokens` ADD `ultimate_session_expiry_ts` integer;
