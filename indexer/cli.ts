/** `npm run indexer -- ...` entry point. */
import { IndexerError } from './errors';
import { main } from './main';
import { defaultPorts } from './ingest/default-ports';

main(process.argv.slice(2), defaultPorts()).then(
    (code) => process.exit(code),
    (err: unknown) => {
        const e = err as IndexerError;
        process.stderr.write(
            JSON.stringify({
                ts: new Date().toISOString(),
                level: 'error',
                component: 'indexer',
                msg: e.message ?? String(err),
                code: e.code ?? 'INTERNAL',
            }) + '\n',
        );
        process.exit(1);
    },
);
