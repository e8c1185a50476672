/**
 * TON addresses as people read them. The API speaks raw `0:<hex>`; the explorer shows the user-friendly form
 * TON wallets and explorers use: 36 bytes (flags, workchain, hash, CRC16-XMODEM) in base64url, bounceable
 * (EQ…) for contracts and non-bounceable (UQ…) for wallets, with the testnet flag on a test network (kQ…/0Q…).
 */
import { useSyncExternalStore } from 'react';

function crc16(data: Uint8Array): number {
    let crc = 0;
    for (const byte of data) {
        crc ^= byte << 8;
        for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    return crc;
}

/** `0:<64 hex>` -> user-friendly base64url; anything else is returned unchanged. */
export function friendlyAddress(raw: string, opts: { bounceable: boolean; testnet: boolean }): string {
    const m = /^(-?\d+):([0-9a-fA-F]{64})$/.exec(raw);
    if (!m) return raw;
    const wc = Number(m[1]);
    if (wc < -128 || wc > 127) return raw;
    const bytes = new Uint8Array(36);
    bytes[0] = (opts.bounceable ? 0x11 : 0x51) | (opts.testnet ? 0x80 : 0);
    bytes[1] = wc & 0xff;
    for (let i = 0; i < 32; i++) bytes[2 + i] = parseInt(m[2].slice(i * 2, i * 2 + 2), 16);
    const crc = crc16(bytes.subarray(0, 34));
    bytes[34] = crc >> 8;
    bytes[35] = crc & 0xff;
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_');
}

/** Contracts bounce, wallets (and addresses of unknown kind, usually owners' wallets) do not. */
export const isContractKind = (kind: string | null | undefined): boolean =>
    kind === 'root' || kind === 'proxy' || kind === 'client' || kind === 'worker';

// Display settings shared by every address on the page: the network (from /api/health) and the raw toggle.
const RAW_KEY = 'cocoon-explorer-raw-addresses';
let settings = { testnet: false, raw: typeof localStorage !== 'undefined' && localStorage.getItem(RAW_KEY) === '1' };
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());

export function setTestnet(testnet: boolean): void {
    if (settings.testnet === testnet) return;
    settings = { ...settings, testnet };
    emit();
}

export function setRawAddresses(raw: boolean): void {
    settings = { ...settings, raw };
    try {
        localStorage.setItem(RAW_KEY, raw ? '1' : '0');
    } catch {
        // Storage disabled: the choice lasts for this page only.
    }
    emit();
}

export function useAddressSettings(): { testnet: boolean; raw: boolean } {
    return useSyncExternalStore(
        (l) => (listeners.add(l), () => listeners.delete(l)),
        () => settings,
    );
}
