/**
 * Local chain persistence in a data directory:
 *   blocks.jsonl  one line per sealed block (its transactions as BOCs): the chain's own tx index;
 *   state.json    sandbox snapshot without its transaction log, plus the last block it includes.
 * The snapshot is written atomically (tmp + rename) shortly after each block. On load, blocks newer
 * than the snapshot are dropped, so state and history always agree, even after kill -9.
 */
import { existsSync, mkdirSync, readFileSync } from 'fs';
import { appendFile, rename, writeFile } from 'fs/promises';
import { join } from 'path';
import { snapshotFromSerializable, snapshotToSerializable, type BlockchainSnapshot } from '@ton/sandbox';

export interface StoredBlock {
    seqno: number;
    utime: number;
    txs: { boc: string }[];
}

interface StateFile {
    version: 1;
    lastSeqno: number;
    timeOffset: number;
    snapshot: ReturnType<typeof snapshotToSerializable>;
}

export interface LoadedChain {
    snapshot: BlockchainSnapshot;
    timeOffset: number;
    blocks: StoredBlock[];
}

/** Must capture the state between two message chains (the chain runs it in its exclusive queue). */
type SnapshotSource = () => Promise<{ snapshot: BlockchainSnapshot; timeOffset: number; lastSeqno: number }>;

const SNAPSHOT_DELAY_MS = 50;

export class ChainStore {
    private readonly blocksPath: string;
    private readonly statePath: string;
    private timer: NodeJS.Timeout | null = null;
    private pending: SnapshotSource | null = null;
    private writing: Promise<void> = Promise.resolve();

    constructor(readonly dir: string) {
        mkdirSync(dir, { recursive: true });
        this.blocksPath = join(dir, 'blocks.jsonl');
        this.statePath = join(dir, 'state.json');
    }

    async load(): Promise<LoadedChain | null> {
        if (!existsSync(this.statePath)) return null;
        const state = JSON.parse(readFileSync(this.statePath, 'utf8')) as StateFile;
        const blocks: StoredBlock[] = [];
        if (existsSync(this.blocksPath)) {
            for (const line of readFileSync(this.blocksPath, 'utf8').split('\n')) {
                if (!line) continue;
                let b: StoredBlock;
                try {
                    b = JSON.parse(line) as StoredBlock;
                } catch {
                    break; // a torn last line from a crash mid-append
                }
                if (b.seqno > state.lastSeqno) break;
                blocks.push(b);
            }
        }
        // Rewrite the log so it ends exactly at the snapshot's block.
        await writeFile(this.blocksPath, blocks.map((b) => JSON.stringify(b) + '\n').join(''));
        return { snapshot: snapshotFromSerializable(state.snapshot), timeOffset: state.timeOffset, blocks };
    }

    async appendBlock(b: StoredBlock): Promise<void> {
        await appendFile(this.blocksPath, JSON.stringify(b) + '\n');
    }

    scheduleSnapshot(source: SnapshotSource): void {
        this.pending = source;
        if (this.timer) return;
        this.timer = setTimeout(() => {
            this.timer = null;
            void this.writeSnapshot();
        }, SNAPSHOT_DELAY_MS);
    }

    private writeSnapshot(): Promise<void> {
        const source = this.pending;
        this.pending = null;
        if (!source) return this.writing;
        this.writing = this.writing.then(async () => {
            const { snapshot, timeOffset, lastSeqno } = await source();
            const file: StateFile = {
                version: 1,
                lastSeqno,
                timeOffset,
                snapshot: snapshotToSerializable({ ...snapshot, transactions: [] }),
            };
            const tmp = this.statePath + '.tmp';
            await writeFile(tmp, JSON.stringify(file));
            await rename(tmp, this.statePath);
        });
        return this.writing;
    }

    async flush(): Promise<void> {
        if (this.timer) {
            clearTimeout(this.timer);
            this.timer = null;
        }
        await this.writeSnapshot();
    }
}
