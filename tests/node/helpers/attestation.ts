/** Shared attestation test data and checks. */
import fs from 'fs';
import path from 'path';
import { AttestationError } from '../../../node/attestation';

/** ../shared/fixtures beside the checkout (where CI puts it), found from this file rather than a fixed path. */
const FIXTURES = process.env.COCOON_SHARED_FIXTURES ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'fixtures');

/** The real TDX quote (v4) from the shared fixtures. */
export function tdxQuoteFixture(): Buffer {
    return fs.readFileSync(path.join(FIXTURES, 'tdx-quote-v4.dat'));
}

/** The AttestationError code `f` throws, or 'none' when it does not throw. */
export function attestationCode(f: () => unknown): string {
    try {
        f();
        return 'none';
    } catch (err) {
        expect(err).toBeInstanceOf(AttestationError);
        return (err as AttestationError).code;
    }
}
