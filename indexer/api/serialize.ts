/** Database rows -> API response objects (money as decimal strings, lt as strings). */
import type { accounts, clients, events, proxies, proxyReports, transactions, workers, dailyStats } from '../db/schema';
import { contractStateOf } from '../../wrappers/contractState';
import type { ExitCodeTable } from './exitcodes';
import type {
    AccountInfo,
    AccountKind,
    AccountStatus,
    ClientInfo,
    ContractStateName,
    DailyStat,
    EventInfo,
    EventType,
    ComputeSkipReason,
    ProxyInfo,
    ProxyReport,
    ProxyReportAccount,
    TransactionInfo,
    TxOutcome,
    WorkerInfo,
} from './types';

type AccountRow = typeof accounts.$inferSelect;
type ProxyRow = typeof proxies.$inferSelect;
type ClientRow = typeof clients.$inferSelect;
type WorkerRow = typeof workers.$inferSelect;
type TxRow = typeof transactions.$inferSelect;
type EventRow = typeof events.$inferSelect;
type DailyRow = typeof dailyStats.$inferSelect;
type ReportRow = typeof proxyReports.$inferSelect;

export const stateName = (s: number | null): ContractStateName => (s === null ? 'unknown' : (contractStateOf(s) ?? 'unknown'));

const str = (v: bigint | null | undefined): string | null => (v === null || v === undefined ? null : v.toString());

export function accountInfo(a: AccountRow): AccountInfo {
    return {
        address: a.address,
        kind: a.kind as AccountKind,
        codeHash: a.codeHash,
        paramsVersion: a.paramsVersion,
        parent: a.parent,
        owner: a.owner,
        status: a.status as AccountStatus,
        tonBalance: a.tonBalance.toString(),
        discoveredVia: a.discoveredVia as AccountInfo['discoveredVia'],
        firstLt: str(a.firstLt),
        firstUtime: a.firstUtime,
        lastLt: str(a.lastLt),
        lastUtime: a.lastUtime,
        txCount: a.txCount,
        stateSeqno: a.stateSeqno,
    };
}

const outdated = (v: number | null, current: number | null) => v !== null && current !== null && v < current;

export function proxyReport(r: ReportRow): ProxyReport {
    const accounts = r.accounts as { clients?: ProxyReportAccount[]; workers?: ProxyReportAccount[] };
    return {
        source: r.source,
        proxy: r.proxy,
        owner: r.owner,
        seenAt: r.seenAt,
        checkedAt: r.checkedAt,
        error: r.error,
        tokensUncharged: r.tokensUncharged.toString(),
        tonUncharged: r.tonUncharged.toString(),
        tokensUnpaid: r.tokensUnpaid.toString(),
        tonUnpaid: r.tonUnpaid.toString(),
        clients: accounts.clients ?? [],
        workers: accounts.workers ?? [],
    };
}

export function proxyInfo(
    a: AccountRow,
    p: ProxyRow,
    counts: { clientCount: number; workerCount: number },
    rootParamsVersion: number | null,
    report: ReportRow | null = null,
): ProxyInfo {
    return {
        ...accountInfo(a),
        kind: 'proxy',
        publicKey: p.publicKey,
        root: p.root,
        state: stateName(p.state),
        balance: p.balance.toString(),
        stake: p.stake.toString(),
        unlockTs: p.unlockTs,
        pricePerToken: str(p.pricePerToken),
        workerFeePerToken: str(p.workerFeePerToken),
        minProxyStake: str(p.minProxyStake),
        minClientStake: str(p.minClientStake),
        outdated: outdated(p.paramsVersion, rootParamsVersion),
        clientCount: Number(counts.clientCount),
        workerCount: Number(counts.workerCount),
        tokensCharged: p.tokensCharged.toString(),
        tokensPaid: p.tokensPaid.toString(),
        commissionEarned: p.commissionEarned.toString(),
        commissionWithdrawn: p.commissionWithdrawn.toString(),
        workersPaid: p.workersPaid.toString(),
        deposits: p.deposits.toString(),
        refunds: p.refunds.toString(),
        report: report ? proxyReport(report) : null,
    };
}

export function clientInfo(a: AccountRow, c: ClientRow, rootParamsVersion: number | null): ClientInfo {
    return {
        ...accountInfo(a),
        kind: 'client',
        proxy: c.proxy,
        proxyPublicKey: c.proxyPublicKey,
        state: stateName(c.state),
        balance: c.balance.toString(),
        stake: c.stake.toString(),
        tokensUsed: c.tokensUsed.toString(),
        unlockTs: c.unlockTs,
        secretHash: c.secretHash,
        pricePerToken: str(c.pricePerToken),
        outdated: outdated(c.paramsVersion, rootParamsVersion),
        tokensCharged: c.tokensCharged.toString(),
        tonCharged: c.tonCharged.toString(),
        deposited: c.deposited.toString(),
        refunded: c.refunded.toString(),
    };
}

export function workerInfo(a: AccountRow, w: WorkerRow, rootParamsVersion: number | null): WorkerInfo {
    return {
        ...accountInfo(a),
        kind: 'worker',
        proxy: w.proxy,
        proxyPublicKey: w.proxyPublicKey,
        state: stateName(w.state),
        tokens: w.tokens.toString(),
        workerFeePerToken: str(w.workerFeePerToken),
        outdated: outdated(w.paramsVersion, rootParamsVersion),
        tokensPaid: w.tokensPaid.toString(),
        tonEarned: w.tonEarned.toString(),
    };
}

export const opHex = (op: number | null): string | null => (op === null ? null : '0x' + op.toString(16).padStart(8, '0'));

export function transactionInfo(t: TxRow, exits: ExitCodeTable): TransactionInfo {
    return {
        lt: t.lt.toString(),
        hash: t.hash,
        account: t.account,
        accountKind: t.accountKind as AccountKind,
        utime: t.utime,
        blockSeqno: t.blockSeqno,
        op: opHex(t.op),
        opName: t.opName,
        source: t.source,
        external: t.external,
        inValue: t.inValue.toString(),
        totalFees: t.totalFees.toString(),
        success: t.success,
        outcome: t.outcome as TxOutcome,
        exitCode: t.exitCode,
        actionResultCode: t.actionResultCode,
        computeSkipped: t.computeSkipped as ComputeSkipReason | null,
        failure: exits.failureOf(t),
        aborted: t.aborted,
        bounced: t.bounced,
        outMsgs: t.outMsgs,
        fees: {
            total: t.totalFees.toString(),
            storage: str(t.storageFee),
            compute: str(t.computeFee),
            gasUsed: str(t.gasUsed),
            action: str(t.actionFee),
            forward: str(t.fwdFee),
        },
        pending: t.pending,
    };
}

export function eventInfo(e: EventRow): EventInfo {
    return {
        id: e.id.toString(),
        txLt: e.txLt.toString(),
        txHash: e.txHash,
        idx: e.idx,
        type: e.type as EventType,
        account: e.account,
        utime: e.utime,
        success: e.success,
        exitCode: e.exitCode,
        proxy: e.proxy,
        client: e.client,
        worker: e.worker,
        owner: e.owner,
        amount: str(e.amount),
        tokens: str(e.tokens),
        payload: e.payload as Record<string, unknown>,
        pending: e.pending,
    };
}

export function dailyStat(d: DailyRow): DailyStat {
    return {
        day: d.day,
        txCount: d.txCount,
        failedTxCount: d.failedTxCount,
        noteTxCount: d.noteTxCount,
        fees: d.fees.toString(),
        tokensCharged: d.tokensCharged.toString(),
        tonCharged: d.tonCharged.toString(),
        tokensPaid: d.tokensPaid.toString(),
        workersPaid: d.workersPaid.toString(),
        commission: d.commission.toString(),
        commissionWithdrawn: d.commissionWithdrawn.toString(),
        deposits: d.deposits.toString(),
        refunds: d.refunds.toString(),
        stakes: d.stakes.toString(),
        newProxies: d.newProxies,
        newClients: d.newClients,
        newWorkers: d.newWorkers,
    };
}
