import { customType } from 'drizzle-orm/pg-core';

/**
 * nanoTON and token counters: numeric(40,0) in the database so no value a contract can hold
 * (Coins is up to 2^120) is ever truncated, bigint in TypeScript so arithmetic stays exact.
 * Both drivers hand numeric back as a decimal string.
 */
export const nano = customType<{ data: bigint; driverData: string }>({
    dataType() {
        return 'numeric(40,0)';
    },
    toDriver(value: bigint): string {
        return value.toString();
    },
    fromDriver(value: string): bigint {
        return BigInt(value);
    },
});
