ALTER TABLE "access_tokens" ADD COLUMN "last_validated_ts" bigint;
--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD COLUMN "ultimate_session_expiry_ts" bigint;
