CREATE TABLE "account_daily" (
	"address" text NOT NULL,
	"day" text NOT NULL,
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
	"new_workers" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "account_daily_address_day_pk" PRIMARY KEY("address","day")
);
--> statement-breakpoint
-- Existing databases: each contract's series recomputed from final rows (the same query as rebuildDerived).
INSERT INTO "account_daily" (address, day, tx_count, failed_tx_count, fees, tokens_charged, ton_charged, tokens_paid, workers_paid, commission, commission_withdrawn, deposits, refunds, stakes, new_proxies, new_clients, new_workers)
SELECT address, day, tx_count, failed_tx_count, fees, tokens_charged, ton_charged, tokens_paid, workers_paid, commission, commission_withdrawn, deposits, refunds, stakes, new_proxies, new_clients, new_workers FROM (with tx as (
        select account as address, to_char(to_timestamp(utime) at time zone 'UTC', 'YYYY-MM-DD') as day, count(*) as tx_count,
               count(*) filter (where not success) as failed_tx_count, sum(total_fees) as fees
        from transactions where not pending group by 1, 2),
      ev as (
        select n.address, to_char(to_timestamp(e.utime) at time zone 'UTC', 'YYYY-MM-DD') as day,
          coalesce(sum(e.tokens) filter (where e.type = 'charge'), 0) as tokens_charged,
          coalesce(sum(e.amount) filter (where e.type = 'charge'), 0) as ton_charged,
          coalesce(sum(e.tokens) filter (where e.type = 'payout_request'), 0) as tokens_paid,
          coalesce(sum(e.amount) filter (where e.type = 'payout'), 0) as workers_paid,
          coalesce(sum(e.amount) filter (where e.type = 'commission'), 0) as commission,
          coalesce(sum(e.amount) filter (where e.type = 'commission_withdrawal'), 0) as commission_withdrawn,
          coalesce(sum(e.amount) filter (where e.type = 'deposit'), 0) as deposits,
          coalesce(sum(e.amount) filter (where e.type = 'refund'), 0) as refunds,
          coalesce(sum(e.amount) filter (where e.type = 'stake'), 0) as stakes,
          count(*) filter (where e.type = 'deploy' and a.kind = 'proxy') as new_proxies,
          count(*) filter (where e.type = 'deploy' and a.kind = 'client') as new_clients,
          count(*) filter (where e.type = 'deploy' and a.kind = 'worker') as new_workers
        from events e cross join lateral (select distinct x from unnest(array[e.account, e.proxy, e.client, e.worker]) as x where x is not null) as n(address) left join accounts a on a.address = e.account
        where e.success and not e.pending group by 1, 2)
      select coalesce(tx.address, ev.address) as address, coalesce(tx.day, ev.day) as day,
        coalesce(tx.tx_count, 0) as tx_count, coalesce(tx.failed_tx_count, 0) as failed_tx_count,
        coalesce(tx.fees, 0) as fees, coalesce(ev.tokens_charged, 0) as tokens_charged, coalesce(ev.ton_charged, 0) as ton_charged,
        coalesce(ev.tokens_paid, 0) as tokens_paid, coalesce(ev.workers_paid, 0) as workers_paid, coalesce(ev.commission, 0) as commission,
        coalesce(ev.commission_withdrawn, 0) as commission_withdrawn, coalesce(ev.deposits, 0) as deposits, coalesce(ev.refunds, 0) as refunds,
        coalesce(ev.stakes, 0) as stakes, coalesce(ev.new_proxies, 0) as new_proxies, coalesce(ev.new_clients, 0) as new_clients,
        coalesce(ev.new_workers, 0) as new_workers
      from tx full join ev on ev.address = tx.address and ev.day = tx.day) AS r;
