CREATE TABLE "accounts" (
	"address" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"code_hash" text,
	"params_version" integer,
	"parent" text,
	"owner" text,
	"status" text DEFAULT 'nonexist' NOT NULL,
	"ton_balance" numeric(40,0) DEFAULT 0 NOT NULL,
	"discovered_via" text NOT NULL,
	"first_lt" bigint,
	"first_utime" integer,
	"last_lt" bigint,
	"last_hash" text,
	"last_utime" integer,
	"tx_count" integer DEFAULT 0 NOT NULL,
	"state_seqno" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "clients" (
	"address" text PRIMARY KEY NOT NULL,
	"owner" text,
	"proxy" text,
	"proxy_public_key" text,
	"state" smallint,
	"balance" numeric(40,0) DEFAULT 0 NOT NULL,
	"stake" numeric(40,0) DEFAULT 0 NOT NULL,
	"tokens_used" numeric(40,0) DEFAULT 0 NOT NULL,
	"unlock_ts" integer DEFAULT 0 NOT NULL,
	"secret_hash" text,
	"params_version" integer,
	"price_per_token" numeric(40,0),
	"tokens_charged" numeric(40,0) DEFAULT 0 NOT NULL,
	"ton_charged" numeric(40,0) DEFAULT 0 NOT NULL,
	"deposited" numeric(40,0) DEFAULT 0 NOT NULL,
	"refunded" numeric(40,0) DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "code_hashes" (
	"code_hash" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"params_version" integer NOT NULL,
	"root" text NOT NULL,
	"first_lt" bigint
);
--> statement-breakpoint
CREATE TABLE "cursors" (
	"source" text PRIMARY KEY NOT NULL,
	"seqno" integer,
	"utime" integer,
	"lt" bigint,
	"hash" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "daily_stats" (
	"day" text PRIMARY KEY NOT NULL,
	"tx_count" integer DEFAULT 0 NOT NULL,
	"failed_tx_count" integer DEFAULT 0 NOT NULL,
	"fees" numeric(40,0) DEFAULT 0 NOT NULL,
	"tokens_charged" numeric(40,0) DEFAULT 0 NOT NULL,
	"ton_charged" numeric(40,0) DEFAULT 0 NOT NULL,
	"tokens_paid" numeric(40,0) DEFAULT 0 NOT NULL,
	"workers_paid" numeric(40,0) DEFAULT 0 NOT NULL,
	"commission" numeric(40,0) DEFAULT 0 NOT NULL,
	"commission_withdrawn" numeric(40,0) DEFAULT 0 NOT NULL,
	"deposits" numeric(40,0) DEFAULT 0 NOT NULL,
	"refunds" numeric(40,0) DEFAULT 0 NOT NULL,
	"stakes" numeric(40,0) DEFAULT 0 NOT NULL,
	"new_proxies" integer DEFAULT 0 NOT NULL,
	"new_clients" integer DEFAULT 0 NOT NULL,
	"new_workers" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial NOT NULL,
	"tx_lt" bigint NOT NULL,
	"tx_hash" text NOT NULL,
	"idx" smallint NOT NULL,
	"type" text NOT NULL,
	"account" text NOT NULL,
	"utime" integer NOT NULL,
	"success" boolean NOT NULL,
	"exit_code" integer,
	"proxy" text,
	"client" text,
	"worker" text,
	"owner" text,
	"amount" numeric(40,0),
	"tokens" numeric(40,0),
	"payload" jsonb NOT NULL,
	"pending" boolean DEFAULT false NOT NULL,
	CONSTRAINT "events_tx_lt_tx_hash_idx_pk" PRIMARY KEY("tx_lt","tx_hash","idx")
);
--> statement-breakpoint
CREATE TABLE "proxies" (
	"address" text PRIMARY KEY NOT NULL,
	"owner" text,
	"public_key" text,
	"root" text,
	"state" smallint,
	"balance" numeric(40,0) DEFAULT 0 NOT NULL,
	"stake" numeric(40,0) DEFAULT 0 NOT NULL,
	"unlock_ts" integer DEFAULT 0 NOT NULL,
	"params_version" integer,
	"price_per_token" numeric(40,0),
	"worker_fee_per_token" numeric(40,0),
	"min_proxy_stake" numeric(40,0),
	"min_client_stake" numeric(40,0),
	"tokens_charged" numeric(40,0) DEFAULT 0 NOT NULL,
	"tokens_paid" numeric(40,0) DEFAULT 0 NOT NULL,
	"commission_earned" numeric(40,0) DEFAULT 0 NOT NULL,
	"commission_withdrawn" numeric(40,0) DEFAULT 0 NOT NULL,
	"workers_paid" numeric(40,0) DEFAULT 0 NOT NULL,
	"deposits" numeric(40,0) DEFAULT 0 NOT NULL,
	"refunds" numeric(40,0) DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "root_config_history" (
	"root" text NOT NULL,
	"lt" bigint NOT NULL,
	"tx_hash" text NOT NULL,
	"utime" integer NOT NULL,
	"change" text NOT NULL,
	"version" integer NOT NULL,
	"params_version" integer NOT NULL,
	"price_per_token" numeric(40,0) NOT NULL,
	"worker_fee_per_token" numeric(40,0) NOT NULL,
	"config" jsonb NOT NULL,
	"pending" boolean DEFAULT false NOT NULL,
	CONSTRAINT "root_config_history_root_lt_pk" PRIMARY KEY("root","lt")
);
--> statement-breakpoint
CREATE TABLE "roots" (
	"address" text PRIMARY KEY NOT NULL,
	"owner" text,
	"version" integer NOT NULL,
	"params_version" integer NOT NULL,
	"last_proxy_seqno" integer NOT NULL,
	"config" jsonb NOT NULL,
	"updated_lt" bigint,
	"state_seqno" integer
);
--> statement-breakpoint
CREATE TABLE "transactions" (
	"id" bigserial NOT NULL,
	"lt" bigint NOT NULL,
	"hash" text NOT NULL,
	"account" text NOT NULL,
	"account_kind" text NOT NULL,
	"utime" integer NOT NULL,
	"block_seqno" integer,
	"op" bigint,
	"op_name" text,
	"source" text,
	"external" boolean DEFAULT false NOT NULL,
	"in_value" numeric(40,0) DEFAULT 0 NOT NULL,
	"total_fees" numeric(40,0) DEFAULT 0 NOT NULL,
	"success" boolean NOT NULL,
	"exit_code" integer,
	"action_result_code" integer,
	"aborted" boolean DEFAULT false NOT NULL,
	"bounced" boolean DEFAULT false NOT NULL,
	"out_msgs" smallint DEFAULT 0 NOT NULL,
	"pending" boolean DEFAULT false NOT NULL,
	CONSTRAINT "transactions_lt_hash_pk" PRIMARY KEY("lt","hash")
);
--> statement-breakpoint
CREATE TABLE "workers" (
	"address" text PRIMARY KEY NOT NULL,
	"owner" text,
	"proxy" text,
	"proxy_public_key" text,
	"state" smallint,
	"tokens" numeric(40,0) DEFAULT 0 NOT NULL,
	"params_version" integer,
	"worker_fee_per_token" numeric(40,0),
	"tokens_paid" numeric(40,0) DEFAULT 0 NOT NULL,
	"ton_earned" numeric(40,0) DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX "accounts_kind_idx" ON "accounts" USING btree ("kind");--> statement-breakpoint
CREATE INDEX "accounts_parent_idx" ON "accounts" USING btree ("parent");--> statement-breakpoint
CREATE INDEX "accounts_owner_idx" ON "accounts" USING btree ("owner");--> statement-breakpoint
CREATE INDEX "clients_proxy_idx" ON "clients" USING btree ("proxy");--> statement-breakpoint
CREATE INDEX "clients_owner_idx" ON "clients" USING btree ("owner");--> statement-breakpoint
CREATE INDEX "events_id_idx" ON "events" USING brin ("id");--> statement-breakpoint
CREATE INDEX "events_type_idx" ON "events" USING btree ("type","tx_lt");--> statement-breakpoint
CREATE INDEX "events_account_idx" ON "events" USING btree ("account","tx_lt");--> statement-breakpoint
CREATE INDEX "events_proxy_idx" ON "events" USING btree ("proxy","tx_lt") WHERE "events"."proxy" is not null;--> statement-breakpoint
CREATE INDEX "events_client_idx" ON "events" USING btree ("client","tx_lt") WHERE "events"."client" is not null;--> statement-breakpoint
CREATE INDEX "events_worker_idx" ON "events" USING btree ("worker","tx_lt") WHERE "events"."worker" is not null;--> statement-breakpoint
CREATE INDEX "events_owner_idx" ON "events" USING btree ("owner","tx_lt") WHERE "events"."owner" is not null;--> statement-breakpoint
CREATE INDEX "events_utime_idx" ON "events" USING brin ("utime");--> statement-breakpoint
CREATE INDEX "proxies_owner_idx" ON "proxies" USING btree ("owner");--> statement-breakpoint
CREATE INDEX "root_config_history_params_idx" ON "root_config_history" USING btree ("params_version");--> statement-breakpoint
CREATE INDEX "transactions_id_idx" ON "transactions" USING brin ("id");--> statement-breakpoint
CREATE UNIQUE INDEX "transactions_hash_idx" ON "transactions" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "transactions_account_lt_idx" ON "transactions" USING btree ("account","lt");--> statement-breakpoint
CREATE INDEX "transactions_utime_idx" ON "transactions" USING btree ("utime");--> statement-breakpoint
CREATE INDEX "transactions_op_name_idx" ON "transactions" USING btree ("op_name","lt");--> statement-breakpoint
CREATE INDEX "transactions_pending_idx" ON "transactions" USING btree ("pending") WHERE "transactions"."pending";--> statement-breakpoint
CREATE INDEX "workers_proxy_idx" ON "workers" USING btree ("proxy");--> statement-breakpoint
CREATE INDEX "workers_owner_idx" ON "workers" USING btree ("owner");