/**
 * Multi-root BOC serialisation. @ton/core only writes single-root BOCs, but the v4 API answers account
 * transaction pages as one BOC with one root per transaction (TonClient4 reads them with Cell.fromBoc).
 */
import { Cell } from '@ton/core';

function cellRepr(cell: Cell, index: Map<string, number>, refSize: number): Buffer {
    const bits = cell.bits.length;
    const d1 = cell.refs.length + (cell.isExotic ? 8 : 0) + cell.mask.value * 32;
    const d2 = Math.ceil(bits / 8) + Math.floor(bits / 8);
    const data = Buffer.alloc(Math.ceil(bits / 8));
    for (let i = 0; i < bits; i++) if (cell.bits.at(i)) data[i >> 3] |= 0x80 >> (i & 7);
    if (bits % 8 !== 0) data[data.length - 1] |= 0x80 >> bits % 8; // completion tag
    const refs = Buffer.alloc(cell.refs.length * refSize);
    cell.refs.forEach((r, i) => refs.writeUIntBE(index.get(r.hash().toString('hex'))!, i * refSize, refSize));
    return Buffer.concat([Buffer.from([d1, d2]), data, refs]);
}

/** Topological order (every parent before its children), cells deduplicated by hash. */
function orderCells(roots: Cell[]): Cell[] {
    const order: Cell[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    // Post-order DFS, then reverse: children finish first, so reversed order puts parents first.
    const visit = (c: Cell) => {
        const h = c.hash().toString('hex');
        if (state.get(h) === 'done') return;
        state.set(h, 'visiting');
        for (const r of c.refs) visit(r);
        state.set(h, 'done');
        order.push(c);
    };
    for (let i = roots.length - 1; i >= 0; i--) visit(roots[i]);
    return order.reverse();
}

export function serializeMultiRootBoc(roots: Cell[]): Buffer {
    const cells = orderCells(roots);
    const refSize = Math.max(1, Math.ceil(Math.log2(cells.length + 1) / 8));
    const index = new Map<string, number>();
    cells.forEach((c, i) => index.set(c.hash().toString('hex'), i));
    const reprs = cells.map((c) => cellRepr(c, index, refSize));
    const total = reprs.reduce((s, r) => s + r.length, 0);
    const offSize = Math.max(1, Math.ceil(Math.log2(total + 1) / 8));
    const header = Buffer.alloc(4 + 1 + 1 + refSize * 3 + offSize);
    let o = 0;
    header.writeUInt32BE(0xb5ee9c72, o);
    o += 4;
    header[o++] = refSize; // no index, no crc, no cache bits
    header[o++] = offSize;
    header.writeUIntBE(cells.length, o, refSize);
    o += refSize;
    header.writeUIntBE(roots.length, o, refSize);
    o += refSize;
    header.writeUIntBE(0, o, refSize);
    o += refSize; // absent
    header.writeUIntBE(total, o, offSize);
    const rootIdx = Buffer.alloc(roots.length * refSize);
    roots.forEach((r, i) => rootIdx.writeUIntBE(index.get(r.hash().toString('hex'))!, i * refSize, refSize));
    return Buffer.concat([header, rootIdx, ...reprs]);
}
