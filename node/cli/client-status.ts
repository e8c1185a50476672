/**
 * `cocoon client status`: a developer's balance and spending, read from the running client's /jsonstats
 * (the `money` section of node/client/stats.ts): deposit, spent, pending charge, stake, receipts kept,
 * proxy. Amounts arrive as nanoTON strings and are printed in TON by the stats pages' formatter.
 */
import { formatTonFixed } from '../common/ton';
import {
    CliError,
    JSON_OPTION,
    noPositionals,
    optionsHelp,
    parseCommandLine,
    stdio,
    usageError,
    type CliIo,
    type OptionSpec,
} from './chain-args';

export const CLIENT_STATUS_OPTIONS: OptionSpec[] = [
    { name: 'url', type: 'string', env: 'COCOON_CLIENT_URL', default: 'http://127.0.0.1:10000', help: "the client's HTTP port" },
    { ...JSON_OPTION, help: 'print the figures as JSON (amounts as nanoTON strings)' },
];

const USAGE = 'cocoon client status [options]';
const DESCRIPTION = `Shows the money of a running client (cocoon client, or the one cocoon up starts): the deposit in its
client contract, what the chain has charged (spent), what the proxy has metered but not yet charged
(pending), the stake, receipts kept and the proxy in use. Reads <url>/jsonstats; the same figures are on
<url>/stats under "your money".`;

/** The `money` section as /jsonstats gives it: amounts in nanoTON as decimal strings. */
export interface ClientMoney {
    proxy: string | null;
    proxy_sc_address: string | null;
    client_sc_address: string | null;
    deposit: string | null;
    stake: string | null;
    spent: string | null;
    tokens_charged: string | null;
    pending_charge: string | null;
    pending_tokens: string | null;
    receipts_kept: number;
}

const MONEY_KEYS = ['deposit', 'stake', 'spent', 'pending_charge'] as const;

export async function runClientStatus(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = stdio): Promise<number> {
    const parsed = parseCommandLine(CLIENT_STATUS_OPTIONS, argv, env);
    if (parsed === 'help') {
        io.out(optionsHelp(USAGE, DESCRIPTION, CLIENT_STATUS_OPTIONS));
        return 0;
    }
    noPositionals(parsed, 'cocoon client status');
    const url = String(parsed.values.url);
    const json = parsed.values.json === true;
    if (!/^https?:\/\/[^/]+/.test(url)) throw usageError(`--url ${url}: expected http(s)://host:port of the client's HTTP port`);
    const money = await readMoney(url.replace(/\/+$/, ''));
    if (json) {
        io.out(JSON.stringify(money, null, 2) + '\n');
        return 0;
    }
    const amount = (v: string | null) => (v === null ? 'unknown (no client contract yet)' : `${formatTonFixed(BigInt(v))} TON`);
    const lines = [
        `proxy:           ${money.proxy ?? 'not connected'}${money.proxy_sc_address ? `  (contract ${money.proxy_sc_address})` : ''}`,
        `client contract: ${money.client_sc_address ?? 'none yet'}`,
        `deposit:         ${amount(money.deposit)}   (held in the client contract, stake included)`,
        `stake:           ${amount(money.stake)}`,
        `spent:           ${amount(money.spent)}   (${money.tokens_charged ?? 0} tokens charged on-chain)`,
        `pending charge:  ${amount(money.pending_charge)}   (${money.pending_tokens ?? 0} tokens metered, not yet charged)`,
        `receipts kept:   ${money.receipts_kept}`,
    ];
    io.out(lines.join('\n') + '\n');
    return 0;
}

/** Fetches and checks the client's money section; a wrong URL or an old client is a clear error. */
export async function readMoney(url: string): Promise<ClientMoney> {
    let res: Response;
    try {
        res = await fetch(`${url}/jsonstats`, { signal: AbortSignal.timeout(10_000) });
    } catch (e) {
        throw new CliError(
            'UNREACHABLE',
            `cannot reach the client at ${url} (${(e as Error).message}): is cocoon client (or cocoon up) running? Pass --url`,
        );
    }
    if (!res.ok) throw new CliError('BAD_ANSWER', `${url}/jsonstats answered HTTP ${res.status}: is ${url} a Cocoon client's HTTP port?`);
    const body = (await res.json().catch(() => null)) as unknown;
    const m = body !== null && typeof body === 'object' && Object.hasOwn(body, 'money') ? (body as { money: unknown }).money : null;
    if (m === null || typeof m !== 'object')
        throw new CliError('BAD_ANSWER', `${url}/jsonstats has no "money" section: is ${url} a Cocoon client (this version or later)?`);
    const money = m as ClientMoney;
    for (const k of MONEY_KEYS) {
        const v = money[k];
        if (v !== null && (typeof v !== 'string' || !/^\d+$/.test(v)))
            throw new CliError('BAD_ANSWER', `${url}/jsonstats money.${k} is not a nanoTON amount: ${String(v)}`);
    }
    return money;
}
