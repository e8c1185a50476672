/**
 * `cocoon verify <receipt file | ->`: checks one answer the way a third party would, trusting neither the
 * client daemon nor the proxy: the receipt's signature, the answer bytes it signs, that its key is the
 * one in the worker's attested RA-TLS certificate, that the certificate's quote verifies (DCAP offline
 * for real quotes, or through a PCCS; fake quotes only with --allow-fake-quotes, and then reported as
 * fake), and that the root contract, read on-chain, allows the worker's image and the model.
 * The worker certificate comes from an attestation report (fetched fresh with --api, or a saved one with
 * --report and its --nonce) or directly (--certificate).
 */
import { randomBytes } from 'crypto';
import { readFileSync } from 'fs';
import { readRoot } from '../chain/cocoon';
import { type AnswerEvidence, type VerifiedAnswer, type VerifyFailure, parseReceipt, verifyAnswer } from '../attestation/verify';
import { isFailure } from '../attestation/verify/result';
import { rootAllowlist } from '../common/root-allowlist';
import {
    CHAIN_OPTIONS,
    chainClientOf,
    CliError,
    optionsHelp,
    parseAddress,
    parseCommandLine,
    runCommand,
    stdio,
    toJson,
    usageError,
    type CliIo,
    type OptionSpec,
} from './chain-args';

export const VERIFY_OPTIONS: OptionSpec[] = [
    {
        name: 'root',
        type: 'string',
        env: 'COCOON_ROOT_ADDRESS',
        required: true,
        help: 'root contract whose allowlists (worker image hashes, model hashes) the answer must satisfy; read on-chain',
    },
    {
        name: 'body',
        type: 'string',
        env: 'COCOON_VERIFY_BODY',
        help: 'file with the answer bytes exactly as received (default none: only the receipt and its attestation are checked)',
    },
    {
        name: 'api',
        type: 'string',
        env: 'COCOON_API_URL',
        help:
            'client API base URL (e.g. http://127.0.0.1:10000/v1): fetch a fresh attestation report for the worker certificate ' +
            '(default none)',
    },
    { name: 'api-key', type: 'string', env: 'COCOON_API_KEY', help: 'API key for --api (Authorization: Bearer; default none)' },
    {
        name: 'report',
        type: 'string',
        env: 'COCOON_VERIFY_REPORT',
        help: 'a saved attestation report (JSON file) instead of --api; needs --nonce (default none)',
    },
    { name: 'nonce', type: 'string', env: 'COCOON_VERIFY_NONCE', help: 'the nonce (hex) the saved --report was asked with (default none)' },
    { name: 'max-age', type: 'int', env: 'COCOON_VERIFY_MAX_AGE', default: 300, help: 'seconds a report may be old' },
    {
        name: 'certificate',
        type: 'string',
        env: 'COCOON_VERIFY_CERTIFICATE',
        help: "the worker's RA-TLS certificate (DER, PEM or base64) instead of a report (default none)",
    },
    {
        name: 'allow-fake-quotes',
        type: 'bool',
        env: 'COCOON_ALLOW_FAKE_QUOTES',
        default: false,
        help: 'accept fake quotes (the local network): the result then says FAKE, no TEE stands behind it',
    },
    {
        name: 'pccs-url',
        type: 'string',
        env: 'COCOON_PCCS_URL',
        help: 'verify TDX quotes with collateral from this PCCS (TCB level, QE identity, revocation); default offline DCAP checks',
    },
    ...CHAIN_OPTIONS,
];

const USAGE =
    'cocoon verify <receipt file | -> --root <address> [--body <answer file>] (--api <url> | --report <file> --nonce <hex> | ' +
    '--certificate <file>) [options]';
const DESCRIPTION = `Verifies an answer of the Cocoon network. The receipt is what GET /v1/receipts/{request id} returns, the
X-Cocoon-Receipt header or trailer (base64), or the worker's \`cocoon-receipt/1 {...}\` line; "-" reads it from
stdin. Exit 0 when every check passes, 1 with the reason (e.g. ANSWER_MISMATCH, KEY_NOT_ATTESTED,
QUOTE_INVALID, IMAGE_HASH_NOT_ALLOWED) when one fails.`;

/** The receipt text in any form the API hands out: JSON, `cocoon-receipt/1 …`, or the base64 header value. */
export function receiptText(raw: string): string {
    const t = raw.trim();
    if (t.startsWith('{') || t.startsWith('cocoon-receipt/')) return t;
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(t)) return Buffer.from(t, 'base64').toString('utf8');
    return t;
}

/** A certificate file: DER, PEM, or base64 of the DER (as the report carries it). */
function certificateBytes(raw: Buffer): Buffer {
    const text = raw.toString('latin1');
    const pem = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(text);
    if (pem) return Buffer.from(pem[1].replace(/\s+/g, ''), 'base64');
    if (/^[A-Za-z0-9+/=\s]+$/.test(text)) return Buffer.from(text.replace(/\s+/g, ''), 'base64');
    return raw;
}

const readInput = (path: string, what: string): Buffer => {
    try {
        return readFileSync(path === '-' ? 0 : path);
    } catch (e) {
        throw new CliError('NO_FILE', `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
};

async function fetchReport(api: string, apiKey: string | undefined, model: string): Promise<{ report: unknown; nonce: Buffer }> {
    if (!/^https?:\/\//.test(api)) throw usageError(`--api must be an http(s):// URL, got '${api}'`);
    const nonce = randomBytes(32);
    const url = `${api.replace(/\/+$/, '')}/attestation/report?nonce=${nonce.toString('hex')}&model=${encodeURIComponent(model)}`;
    let res: Response;
    try {
        res = await fetch(url, { headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {} });
    } catch (e) {
        throw new CliError('API_UNREACHABLE', `cannot reach ${url}: ${(e as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new CliError('NO_REPORT', `${url} answered ${res.status}: ${text.slice(0, 300)}`);
    try {
        return { report: JSON.parse(text), nonce };
    } catch {
        throw new CliError('NO_REPORT', `${url} did not answer JSON`);
    }
}

function summary(r: VerifiedAnswer): string {
    const v = r.receipt;
    return [
        `OK${v.fake ? ' (FAKE attestation: local network, no TEE behind it)' : ''}: request ${v.receipt.requestId}`,
        `  model ${v.receipt.model}, ${v.receipt.tokens.total} tokens, status ${v.receipt.status}`,
        `  worker key ${v.workerKey}, ${v.tee} image ${v.imageHash}${v.tcbStatus ? `, TCB ${v.tcbStatus}` : ''}`,
        `  checks: ${[...(r.report ? ['attestation report'] : []), ...v.checks].join(', ')}`,
        ...(r.answerChecked ? [] : ['  the answer bytes were NOT checked (pass --body)']),
        '',
    ].join('\n');
}

export async function runVerify(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = stdio): Promise<number> {
    return runCommand('verify', io, env, async () => {
        const parsed = parseCommandLine(VERIFY_OPTIONS, argv, env);
        if (parsed === 'help') {
            io.out(optionsHelp(USAGE, DESCRIPTION, VERIFY_OPTIONS));
            return 0;
        }
        const { values, positionals } = parsed;
        if (positionals.length !== 1) throw usageError(`expected one receipt file (or - for stdin), got ${positionals.length}: ${USAGE}`);
        const receipt = receiptText(readInput(positionals[0], 'the receipt').toString('utf8'));
        const body = values.body === undefined ? undefined : readInput(String(values.body), 'the answer');
        const sources = ['api', 'report', 'certificate'].filter((k) => values[k] !== undefined);
        if (sources.length !== 1)
            throw usageError(
                "give exactly one of --api, --report (with --nonce) or --certificate: where the worker's attested certificate comes from",
            );

        const rootAddress = parseAddress(values.root as string, '--root (or COCOON_ROOT_ADDRESS): the root contract address');
        const root = rootAllowlist(await readRoot(chainClientOf(values), rootAddress));

        let evidence: AnswerEvidence;
        const maxAgeSeconds = values['max-age'] as number;
        if (values.certificate !== undefined)
            evidence = { workerCertificate: certificateBytes(readInput(String(values.certificate), 'the certificate')) };
        else if (values.report !== undefined) {
            if (typeof values.nonce !== 'string' || !/^([0-9a-fA-F]{2}){1,64}$/.test(values.nonce))
                throw usageError('--report needs --nonce <hex>: the nonce the report was asked with');
            let report: unknown;
            try {
                report = JSON.parse(readInput(String(values.report), 'the report').toString('utf8'));
            } catch (e) {
                if (e instanceof CliError) throw e;
                throw new CliError('BAD_REPORT', `${String(values.report)} is not JSON`);
            }
            evidence = { report, nonce: Buffer.from(values.nonce, 'hex'), maxAgeSeconds };
        } else {
            // The report lists the workers of the receipt's model (a malformed receipt is refused below anyway).
            const parsedReceipt = parseReceipt(receipt);
            const model = isFailure(parsedReceipt) ? '' : parsedReceipt.model;
            evidence = { ...(await fetchReport(String(values.api), values['api-key'] as string | undefined, model)), maxAgeSeconds };
        }
        const pccsUrl = values['pccs-url'] as string | undefined;
        const r: VerifiedAnswer | VerifyFailure = await verifyAnswer({
            receipt,
            body,
            root,
            evidence,
            allowFakeQuotes: values['allow-fake-quotes'] === true,
            tdx: pccsUrl ? { mode: 'pccs', pccsUrl } : { mode: 'offline' },
        });
        if (values.json) io.out(toJson(r) + '\n');
        else if (r.ok) io.out(summary(r));
        else io.err(`REFUSED ${r.reason}: ${r.message}\n`);
        return r.ok ? 0 : 1;
    });
}
