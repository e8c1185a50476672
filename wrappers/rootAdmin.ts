/**
 * Root owner operations by name, shared by the Blueprint script (scripts/cocoonRootAdmin.ts) and the
 * `cocoon root` command: each action names its arguments and builds the message body from them. The
 * caller supplies the argument reader, so each front end keeps its own argument numbering and checks.
 */
import { readFileSync } from 'fs';
import { toNano, type Address, type Cell } from '@ton/core';
import { childCodes } from './CocoonProxy';
import { ROOT_OP, rootCode, rootMsg } from './CocoonRoot';
import type { CocoonParams } from './params';
import { sha256BigInt } from './uint256';

/** Reads the i-th value after the action name, converted; throws the front end's own message when bad. */
export interface RootActionArgs {
    text(i: number, what: string): string;
    /** A 256-bit hash given in hex. */
    hash(i: number, what: string): bigint;
    /** A 32-bit unsigned integer (seqno, delay in seconds). */
    uint(i: number, what: string): number;
    /** A non-negative amount (nanoTON or a per-token price). */
    coins(i: number, what: string): bigint;
    address(i: number, what: string): Address;
}

export interface RootAction {
    /** The values after the action name, for help texts. */
    usage: string;
    summary: string;
    build(a: RootActionArgs, root: Address): Promise<Cell>;
}

const hashAction = (op: number, summary: string): RootAction => ({
    usage: '<hash hex>',
    summary,
    build: async (a) => rootMsg.hash(op, a.hash(0, 'hash (hex)')),
});

/** The full name's sha256, as the root stores allowed models. */
export function modelHash(name: string): bigint {
    return sha256BigInt(name);
}

/** Params JSON as deployCocoonRoot and change-params-full read it; amounts are nanoTON strings. */
export interface ParamsJson {
    uniqueId?: number;
    isTest?: boolean;
    pricePerToken?: string;
    workerFeePerToken?: string;
    promptMultiplier?: number;
    cachedMultiplier?: number;
    completionMultiplier?: number;
    reasoningMultiplier?: number;
    proxyDelayBeforeClose?: number;
    clientDelayBeforeClose?: number;
    minProxyStake?: string;
    minClientStake?: string;
}

/** Root params from a JSON file (absent keys and an absent file: the original's test values), with the compiled child codes. */
export async function paramsFromJson(path: string | undefined): Promise<CocoonParams> {
    const j: ParamsJson = path ? (JSON.parse(readFileSync(path, 'utf8')) as ParamsJson) : {};
    const codes = await childCodes();
    return {
        structVersion: 3,
        paramsVersion: 1,
        uniqueId: j.uniqueId ?? 17,
        isTest: j.isTest ?? true,
        pricePerToken: BigInt(j.pricePerToken ?? '2'),
        workerFeePerToken: BigInt(j.workerFeePerToken ?? '1'),
        promptTokensPriceMultiplier: j.promptMultiplier ?? 10000,
        cachedTokensPriceMultiplier: j.cachedMultiplier ?? 10000,
        completionTokensPriceMultiplier: j.completionMultiplier ?? 10000,
        reasoningTokensPriceMultiplier: j.reasoningMultiplier ?? 10000,
        proxyDelayBeforeClose: j.proxyDelayBeforeClose ?? 86400,
        clientDelayBeforeClose: j.clientDelayBeforeClose ?? 86400,
        minProxyStake: BigInt(j.minProxyStake ?? toNano('1').toString()),
        minClientStake: BigInt(j.minClientStake ?? toNano('1').toString()),
        proxyScCode: codes.proxy,
        workerScCode: codes.worker,
        clientScCode: codes.client,
    };
}

/**
 * Every owner operation. root_upgrade_full (replace data and code) is deliberately absent: a wrong data
 * cell bricks the root, so it is built by hand with rootMsg.upgradeFull.
 */
export const ROOT_ACTIONS: Record<string, RootAction> = {
    'add-worker-hash': hashAction(ROOT_OP.addWorkerType, 'allow a worker image hash'),
    'del-worker-hash': hashAction(ROOT_OP.delWorkerType, 'remove an allowed worker image hash'),
    'add-model-hash': hashAction(ROOT_OP.addModelType, 'allow a model hash'),
    'del-model-hash': hashAction(ROOT_OP.delModelType, 'remove an allowed model hash'),
    'add-proxy-hash': hashAction(ROOT_OP.addProxyType, 'allow a proxy image hash'),
    'del-proxy-hash': hashAction(ROOT_OP.delProxyType, 'remove an allowed proxy image hash'),
    'add-model': {
        usage: '<model name>',
        summary: 'allow a model by its full name (the root stores its sha256)',
        build: async (a) => rootMsg.hash(ROOT_OP.addModelType, modelHash(a.text(0, 'model name'))),
    },
    'del-model': {
        usage: '<model name>',
        summary: 'remove an allowed model by its full name',
        build: async (a) => rootMsg.hash(ROOT_OP.delModelType, modelHash(a.text(0, 'model name'))),
    },
    'register-proxy': {
        usage: '<"ip:port[ ip:port]">',
        summary: 'register a proxy address (workers port, optional separate clients port)',
        build: async (a) => rootMsg.registerProxy(a.text(0, 'proxy address "ip:port"')),
    },
    'unregister-proxy': {
        usage: '<seqno>',
        summary: 'remove a registered proxy by its seqno',
        build: async (a) => rootMsg.unregisterProxy(a.uint(0, 'seqno')),
    },
    'update-proxy': {
        usage: '<seqno> <"ip:port">',
        summary: 'change the address of a registered proxy',
        build: async (a) => rootMsg.updateProxy(a.uint(0, 'seqno'), a.text(1, 'proxy address')),
    },
    'change-fees': {
        usage: '<price per token> <worker fee per token>',
        summary: 'change the price and the worker fee per token (nanoTON)',
        build: async (a) => rootMsg.changeFees(a.coins(0, 'price per token'), a.coins(1, 'worker fee per token')),
    },
    'change-params': {
        usage: '<price> <worker fee> <proxy delay s> <client delay s> <min proxy stake> <min client stake>',
        summary: 'change prices, close delays and minimal stakes (nanoTON, seconds)',
        build: async (a) =>
            rootMsg.changeParams({
                price: a.coins(0, 'price'),
                workerFee: a.coins(1, 'worker fee'),
                proxyDelay: a.uint(2, 'proxy delay'),
                clientDelay: a.uint(3, 'client delay'),
                minProxyStake: a.coins(4, 'min proxy stake'),
                minClientStake: a.coins(5, 'min client stake'),
            }),
    },
    'change-params-full': {
        usage: '<params.json>',
        summary: 'replace the whole params cell (same JSON keys as deploy)',
        build: async (a) => rootMsg.changeParamsFull(await paramsFromJson(a.text(0, 'params JSON file'))),
    },
    'upgrade-contracts': {
        usage: '',
        summary: 'set the proxy/worker/client codes to the compiled ones',
        build: async () => {
            const c = await childCodes();
            return rootMsg.upgradeContracts(c.proxy, c.worker, c.client);
        },
    },
    'upgrade-code': {
        usage: '',
        summary: 'replace the root code with the compiled CocoonRoot',
        build: async () => rootMsg.upgrade(await rootCode()),
    },
    'change-owner': {
        usage: '<address>',
        summary: 'hand the root to a new owner',
        build: async (a) => rootMsg.changeOwner(a.address(0, 'new owner')),
    },
    reset: {
        usage: '',
        summary: 'clear the registry (hashes and proxies)',
        build: async () => rootMsg.reset(),
    },
};
