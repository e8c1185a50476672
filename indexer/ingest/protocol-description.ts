/**
 * What the indexer needs to know about the contracts, as one value: indexer/protocol.ts builds it from the
 * generated wrappers, the default ports (and tests) hand it to ingest. Its own module, so the builder and
 * the ports that load it depend on it and not on each other.
 */
import type { Cell } from '@ton/core';
import type { ExitCodeInfo, OpcodeInfo } from '../domain';
import type { MessageCatalogue } from './decoder';
import type { KindParsers } from './states';

/** What the indexer needs to know about the contracts: message layouts, data layouts, root operations. */
export interface ProtocolDescription {
    catalogue: MessageCatalogue;
    parsers: KindParsers;
    opcodes: OpcodeInfo[];
    /** Every contract's exit codes with their meanings (from the generated wrappers). */
    exitCodes: ExitCodeInfo[];
    isRootConfigChange(opName: string | null): boolean;
    /** Decodes a GPU owner's registry profile cell for event payloads. */
    profileOf?: (cell: Cell) => unknown;
}
