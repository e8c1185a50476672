/**
 * Moving to a new proxy contract when the root's params_version grows (COCOON close_all): the peers are
 * dropped (they reconnect to the new contract), everything metered is committed on-chain so it can be
 * signed, the old contract's accounts move into an outdated-contract record, and the proxy switches to the
 * contract of the new params with a new session. The records are then closed one signed step per tick
 * (migration.ts), and persisted after each step so a restart resumes where it stopped.
 */
import { Address } from '@ton/core';
import type { ChainClient, ChainWallet } from '../chain';
import type { RootState } from '../chain/cocoon';
import type { Logger } from '../common/log';
import type { ProxyAccounts } from './ledgers';
import { advanceOldContract, outdatedContractRecord, type OldContractRecord } from './migration';

/** What a migration does to the rest of the proxy (the runner). */
export interface MigrationHost {
    readonly log: Logger;
    readonly root: RootState;
    readonly contract: Address;
    readonly accounts: ProxyAccounts;
    readonly chain: ChainClient;
    readonly wallet: ChainWallet;
    readonly secretKey: Buffer;
    /** Stops taking connections and queries (true), or takes them again (false). */
    pause(paused: boolean): void;
    /** Drops every peer connection. */
    dropConnections(): void;
    /** Commits everything and resolves once the chain confirms it. */
    commitOnChain(): Promise<void>;
    /** Writes a record with the next store commit. */
    persist(key: string, value: unknown): void;
    /** Serves from the contract of `next`'s params: deploys it, watches it, starts a session on it. */
    switchTo(next: RootState): Promise<void>;
}

export class MigrationDriver {
    private running: Promise<void> | null = null;

    constructor(
        private readonly host: MigrationHost,
        /** Outdated contracts, closed or still closing (restored from the store). */
        readonly outdated: OldContractRecord[],
    ) {}

    /**
     * A fresh read of the root: a newer params version starts the migration (or joins the one running). Null when there is
     * nothing to do.
     */
    onRoot(next: RootState): Promise<void> | null {
        if (next.params.paramsVersion <= this.host.root.params.paramsVersion) return null;
        if (!this.running) this.running = this.migrate(next).finally(() => (this.running = null));
        return this.running;
    }

    private async migrate(next: RootState): Promise<void> {
        const host = this.host;
        const from = host.root.params;
        host.log.warn('root params version changed: migrating to a new proxy contract', {
            from: from.paramsVersion,
            to: next.params.paramsVersion,
        });
        host.pause(true);
        try {
            host.dropConnections();
            await host.commitOnChain();
            const record = outdatedContractRecord(
                host.contract,
                from.paramsVersion,
                from.proxyDelayBeforeClose,
                host.accounts.clients(),
                host.accounts.workers(),
            );
            this.outdated.push(record);
            host.persist(`old:${record.contract}`, record);
            host.accounts.clear();
            await host.switchTo(next);
            host.log.info('migrated to the new proxy contract', {
                contract: host.contract.toString(),
                paramsVersion: next.params.paramsVersion,
            });
        } finally {
            host.pause(false);
        }
    }

    /** One step per outdated contract per tick (each step is one on-chain message). */
    async closeOutdated(): Promise<void> {
        const { chain, wallet, secretKey } = this.host;
        for (const r of this.outdated) {
            if (r.step === 'closed') continue;
            if (await advanceOldContract(r, { chain, wallet, secretKey })) {
                this.host.persist(`old:${r.contract}`, r);
                this.host.log.info('outdated proxy contract step', { contract: Address.parse(r.contract).toString(), step: r.step });
            }
        }
    }
}
