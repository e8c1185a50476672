import { sql } from 'drizzle-orm';
import { rows } from '../../../indexer/db/client';
import { bulkInsert, type BulkColumn } from '../../../indexer/db/bulk';
import { openTestDatabase, type TestDatabase } from '../helpers/db';

interface Row {
    id: number;
    t: string | null;
    n: bigint | null;
    b: boolean | null;
    j: unknown;
}
const COLUMNS: BulkColumn<Row>[] = [
    { name: 'id', type: 'int', get: (r) => r.id },
    { name: 't', type: 'text', get: (r) => r.t },
    { name: 'n', type: 'numeric', get: (r) => r.n },
    { name: 'b', type: 'bool', get: (r) => r.b },
    { name: 'j', type: 'jsonb', get: (r) => r.j },
];

let database: TestDatabase;
beforeAll(async () => {
    database = await openTestDatabase();
    await database.db.execute(sql`create table if not exists bulk_probe (id int primary key, t text, n numeric(40,0), b boolean, j jsonb)`);
});
afterAll(async () => {
    await database?.db.execute(sql`drop table if exists bulk_probe`);
    await database?.close();
});

describe('bulkInsert (unnest of array literals)', () => {
    const exactValuesTitle =
        'keeps every value exactly: quotes, backslashes, commas, braces, the word NULL, unicode, nulls, big numbers, bigint in JSON';
    it(exactValuesTitle, async () => {
        const tricky = [
            'plain',
            'a "quoted" word',
            'back\\slash',
            'comma, and {braces}',
            'NULL',
            '',
            ' spaced ',
            'ünï\u00e7ødé ✓',
            'new\nline\ttab',
            '\\"both\\"',
        ];
        const input: Row[] = tricky.map((t, i) => ({
            id: i,
            t,
            n: i % 3 === 0 ? null : 10n ** 30n + BigInt(i),
            b: i % 2 === 0 ? i % 4 === 0 : null,
            j: { t, nested: { amount: 123456789012345678901234567890n, list: [t, null, true] } },
        }));
        input.push({ id: 99, t: null, n: -5n, b: false, j: ['x"y', '\\'] });
        await database.db.execute(bulkInsert('bulk_probe', COLUMNS, input));
        const got = await rows<{ id: number; t: string | null; n: string | null; b: boolean | null; j: unknown }>(
            database.db,
            sql`select id, t, n::text as n, b, j from bulk_probe order by id`,
        );
        const json = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
        expect(got.map((r) => ({ ...r, j: typeof r.j === 'string' ? JSON.parse(r.j) : r.j }))).toEqual(
            input.map((r) => ({ id: r.id, t: r.t, n: r.n === null ? null : r.n.toString(), b: r.b, j: json(r.j) })),
        );
    });
});
