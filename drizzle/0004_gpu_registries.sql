CREATE TABLE "registries" (
	"address" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"root" text NOT NULL,
	"status" smallint NOT NULL,
	"deposit" numeric(40,0) DEFAULT 0 NOT NULL,
	"registered_at" integer NOT NULL,
	"updated_at" integer NOT NULL,
	"profile" jsonb,
	"gpu_model" text
);
--> statement-breakpoint
CREATE INDEX "registries_owner_idx" ON "registries" USING btree ("owner");