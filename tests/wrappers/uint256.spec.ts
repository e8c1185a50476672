import { createHash } from 'crypto';
import { bufferToBigInt, sha256BigInt, uint256Bytes, uint256FromHex, uint256Hex } from '../../wrappers/uint256';

describe('uint256 conversions', () => {
    it('reads bytes big-endian, any length, from a view into a larger buffer too', () => {
        expect(bufferToBigInt(Buffer.from([0x01, 0x00]))).toBe(256n);
        expect(bufferToBigInt(Buffer.alloc(32, 0xff))).toBe((1n << 256n) - 1n);
        expect(bufferToBigInt(Buffer.alloc(0))).toBe(0n);
        const big = Buffer.from('aabbccdd', 'hex');
        expect(bufferToBigInt(big.subarray(1, 3))).toBe(0xbbccn);
        expect(bufferToBigInt(new Uint8Array([0, 0, 7]))).toBe(7n);
    });

    it('writes 64 hex digits and 32 bytes, and reads them back', () => {
        expect(uint256Hex(255n)).toBe('0'.repeat(62) + 'ff');
        expect(uint256Bytes(1n)).toEqual(Buffer.concat([Buffer.alloc(31), Buffer.from([1])]));
        const v = sha256BigInt('model');
        expect(bufferToBigInt(uint256Bytes(v))).toBe(v);
        expect(uint256FromHex(uint256Hex(v))).toBe(v);
    });

    it('takes hex with or without 0x, exactly 64 digits', () => {
        expect(uint256FromHex('0x' + 'AB'.repeat(32))).toBe(BigInt('0x' + 'ab'.repeat(32)));
        expect(uint256FromHex('ab'.repeat(32))).toBe(BigInt('0x' + 'ab'.repeat(32)));
        for (const bad of ['', '0x', 'ab'.repeat(31), 'ab'.repeat(33), 'zz'.repeat(32), ' ' + 'ab'.repeat(32)]) {
            expect(uint256FromHex(bad)).toBeUndefined();
        }
    });

    it('hashes text as UTF-8 and bytes as they are, like the contracts compare them', () => {
        const hex = createHash('sha256').update('Qwen/Qwen3-0.6B', 'utf8').digest('hex');
        expect(sha256BigInt('Qwen/Qwen3-0.6B')).toBe(BigInt('0x' + hex));
        expect(sha256BigInt(Buffer.from('Qwen/Qwen3-0.6B'))).toBe(BigInt('0x' + hex));
    });
});
