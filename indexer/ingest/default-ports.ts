/**
 * The chain-facing parts the service uses by default: node/chain's ChainClient for the configured URL
 * (or node/chain's lean v4 reader with --reader lean-v4), states parsed with the contracts' parsers,
 * and transactions decoded by CatalogueDecoder with the protocol description given here.
 */
import type { IndexerConfig } from '../config';
import type { Logger } from '../../node/common/log';
import { CatalogueDecoder } from './decoder';
import { V4StateReader } from './states';
import type { IngestPorts } from './ports';
import type { ProtocolDescription } from './protocol-description';
import { ChainClientSource, ChainClientStateReader } from './chain-client';
import { createChainClient } from '../../node/chain';
import { LeanV4Client } from '../../node/chain/lean-v4';
import { IndexerError } from '../errors';

/** The Cocoon protocol from the wrappers; loaded on first use because the wrappers need compiled contracts. */
export async function loadCocoonProtocol(): Promise<ProtocolDescription> {
    try {
        return await (await import('../protocol')).loadCocoonProtocol();
    } catch (err) {
        throw new IndexerError(
            'CONTRACTS_NOT_BUILT',
            `cannot load the contract wrappers (${(err as Error).message}); run \`npm run build:contracts\` first`,
            err,
        );
    }
}

export function defaultPorts(given?: ProtocolDescription) {
    return async (config: IndexerConfig, log: Logger): Promise<IngestPorts> => {
        const protocol = given ?? (await loadCocoonProtocol());
        let chain: IngestPorts['chain'];
        let states: IngestPorts['states'];
        if (config.reader === 'lean-v4') {
            const v4 = new LeanV4Client(config.chainUrl);
            chain = v4;
            states = new V4StateReader(v4, protocol.parsers);
        } else if (config.reader === 'chain') {
            const client = createChainClient({ url: config.chainUrl });
            chain = new ChainClientSource(client);
            states = new ChainClientStateReader(client, protocol.parsers);
        } else {
            throw new IndexerError('BAD_CONFIG', `--reader must be 'chain' or 'lean-v4', got '${config.reader}'`);
        }
        const head = await chain.head();
        log.info('chain reachable', { url: config.chainUrl, reader: config.reader, head: head.seqno });
        return {
            chain,
            decoder: new CatalogueDecoder(protocol.catalogue, protocol.profileOf),
            states,
            opcodes: protocol.opcodes,
            exitCodes: protocol.exitCodes,
            isRootConfigChange: protocol.isRootConfigChange,
        };
    };
}
