CREATE TABLE "worker_uptime" (
	"source" text NOT NULL,
	"owner" text NOT NULL,
	"worker_key" text NOT NULL,
	"up" boolean NOT NULL,
	"uptime_seconds" integer NOT NULL,
	"window_seconds" integer NOT NULL,
	"seen_at" integer NOT NULL,
	CONSTRAINT "worker_uptime_source_owner_worker_key_pk" PRIMARY KEY("source","owner","worker_key")
);
--> statement-breakpoint
CREATE INDEX "worker_uptime_owner_idx" ON "worker_uptime" USING btree ("owner");