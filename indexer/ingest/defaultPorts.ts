/**
 * The chain-facing parts the service uses by default: a ton-api-v4 endpoint (the local chain, or a
 * mainnet/testnet v4 server) read through V4Chain, account states through V4StateReader, and transactions
 * decoded by CatalogueDecoder with the protocol description given here.
 */
import type { IndexerConfig } from '../config';
import type { Logger } from '../log';
import type { IngestPorts } from '../service';
import type { OpcodeInfo } from '../api/types';
import { CatalogueDecoder, type MessageCatalogue } from './decoder';
import { V4StateReader, type KindParsers } from './states';
import { V4Chain } from './v4';

/** What the indexer needs to know about the contracts: message layouts, data layouts, root operations. */
export interface ProtocolDescription {
    catalogue: MessageCatalogue;
    parsers: KindParsers;
    opcodes: OpcodeInfo[];
    isRootConfigChange(opName: string | null): boolean;
}

/** Without the contracts' catalogue the indexer still stores every transaction of the root, undecoded. */
export const RAW_PROTOCOL: ProtocolDescription = {
    catalogue: { decode: () => null, nameOf: () => null },
    parsers: {},
    opcodes: [],
    isRootConfigChange: () => true,
};

export function v4Ports(protocol: ProtocolDescription = RAW_PROTOCOL) {
    return async (config: IndexerConfig, log: Logger): Promise<IngestPorts> => {
        const chain = new V4Chain(config.chainUrl);
        const head = await chain.head();
        log.info('chain reachable', { url: config.chainUrl, head: head.seqno });
        return {
            chain,
            decoder: new CatalogueDecoder(protocol.catalogue),
            states: new V4StateReader(chain, protocol.parsers),
            opcodes: protocol.opcodes,
            isRootConfigChange: protocol.isRootConfigChange,
        };
    };
}
