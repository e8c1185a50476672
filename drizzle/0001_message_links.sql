ALTER TABLE "transactions" ADD COLUMN "in_created_lt" bigint;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "out_messages" jsonb;