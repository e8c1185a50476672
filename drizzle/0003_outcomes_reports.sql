CREATE TABLE "model_names" (
	"hash" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"source" text NOT NULL,
	"seen_at" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "proxy_reports" (
	"source" text PRIMARY KEY NOT NULL,
	"proxy" text,
	"owner" text,
	"seen_at" integer,
	"checked_at" integer NOT NULL,
	"error" text,
	"tokens_uncharged" numeric(40,0) DEFAULT 0 NOT NULL,
	"ton_uncharged" numeric(40,0) DEFAULT 0 NOT NULL,
	"tokens_unpaid" numeric(40,0) DEFAULT 0 NOT NULL,
	"ton_unpaid" numeric(40,0) DEFAULT 0 NOT NULL,
	"accounts" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "account_daily" ADD COLUMN "note_tx_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "daily_stats" ADD COLUMN "note_tx_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "outcome" text DEFAULT 'ok' NOT NULL;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "compute_skipped" text;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "storage_fee" numeric(40,0);--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "compute_fee" numeric(40,0);--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "gas_used" bigint;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "action_fee" numeric(40,0);--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "fwd_fee" numeric(40,0);--> statement-breakpoint
CREATE INDEX "transactions_block_idx" ON "transactions" USING btree ("block_seqno");--> statement-breakpoint
CREATE INDEX "transactions_outcome_idx" ON "transactions" USING btree ("outcome","lt") WHERE "transactions"."outcome" <> 'ok';--> statement-breakpoint
-- Existing rows were stored without the compute phase's skip reason. An internal message below 40,000 nanoTON
-- (the basechain's flat gas price: less buys no gas) whose compute phase did not run is an intentional note;
-- every other unsuccessful row stays a failure. New rows get the exact reason from the transaction.
UPDATE "transactions" SET
	"outcome" = CASE WHEN "exit_code" IS NULL AND "source" IS NOT NULL AND NOT "external" AND "in_value" < 40000 THEN 'note' ELSE 'failed' END,
	"compute_skipped" = CASE WHEN "exit_code" IS NULL AND "source" IS NOT NULL AND NOT "external" AND "in_value" < 40000 THEN 'no_gas' END
WHERE NOT "success";
--> statement-breakpoint
-- Failure counts without the notes, and the note counts, per day and per contract and day (final rows only).
UPDATE "daily_stats" AS d SET "failed_tx_count" = x.failed, "note_tx_count" = x.notes
FROM (SELECT to_char(to_timestamp(utime) at time zone 'UTC', 'YYYY-MM-DD') AS day,
             count(*) FILTER (WHERE outcome = 'failed') AS failed, count(*) FILTER (WHERE outcome = 'note') AS notes
      FROM transactions WHERE NOT pending GROUP BY 1) AS x
WHERE x.day = d.day;
--> statement-breakpoint
UPDATE "account_daily" AS d SET "failed_tx_count" = x.failed, "note_tx_count" = x.notes
FROM (SELECT account AS address, to_char(to_timestamp(utime) at time zone 'UTC', 'YYYY-MM-DD') AS day,
             count(*) FILTER (WHERE outcome = 'failed') AS failed, count(*) FILTER (WHERE outcome = 'note') AS notes
      FROM transactions WHERE NOT pending GROUP BY 1, 2) AS x
WHERE x.address = d.address AND x.day = d.day;
