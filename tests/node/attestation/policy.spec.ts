/** @jest-environment node */
import { randomBytes } from 'crypto';
import {
    INTEL_ROOT_KEY_ID,
    anyPolicy,
    checkMeasurements,
    createPolicy,
    decodeHash,
    fakePolicy,
    imageHash,
    parseQuote,
    userClaimsHash,
    zeroMeasurements,
} from '../../../node/attestation';
import { attestationCode, tdxQuoteFixture } from '../helpers/attestation';

const key = Buffer.alloc(32, 7);
const fakeQuote = userClaimsHash(key);
const fixture = parseQuote(tdxQuoteFixture()).measurements;
/** The fixture's measurements, re-bound to our key so the allowlists are what gets tested. */
const m = { ...fixture, reportData: userClaimsHash(key) };

const code = attestationCode;

describe('attestation policies', () => {
    it('any: accepts everyone, attests nothing, refuses image allowlists', async () => {
        await expect(anyPolicy().validate(undefined, key, Date.now())).resolves.toEqual({ kind: 'none', imageHash: Buffer.alloc(32) });
        expect(code(() => anyPolicy({ allowedImageHashes: [randomBytes(32)] }))).toBe('POLICY_CONFIG');
    });

    it('fake: quote is the reportdata, measurements are zero', async () => {
        const r = await fakePolicy().validate(fakeQuote, key, Date.now());
        expect(r).toMatchObject({ kind: 'fake', imageHash: imageHash(zeroMeasurements()), collateralRootHash: Buffer.alloc(48) });
        expect(r.measurements?.reportData).toEqual(fakeQuote);
        await expect(fakePolicy().validate(undefined, key, 0)).rejects.toMatchObject({ code: 'QUOTE_REQUIRED' });
        await expect(fakePolicy().validate(Buffer.alloc(63), key, 0)).rejects.toMatchObject({ code: 'QUOTE_PARSE' });
        await expect(fakePolicy().validate(fakeQuote, Buffer.alloc(32, 8), 0)).rejects.toMatchObject({ code: 'REPORTDATA_MISMATCH' });
        await expect(fakePolicy({ allowedCollateralRootHashes: [INTEL_ROOT_KEY_ID] }).validate(fakeQuote, key, 0)).rejects.toMatchObject({
            code: 'COLLATERAL_NOT_ALLOWED',
        });
    });

    it('applies MRTD, RTMR-set, image-hash and collateral allowlists to real measurements', () => {
        const root = INTEL_ROOT_KEY_ID;
        expect(code(() => checkMeasurements('tdx', m, key, root, {}))).toBe('none');
        expect(code(() => checkMeasurements('tdx', m, key, root, { allowedMrtd: [fixture.mrTd] }))).toBe('none');
        expect(code(() => checkMeasurements('tdx', m, key, root, { allowedMrtd: [randomBytes(48)] }))).toBe('MRTD_NOT_ALLOWED');
        expect(code(() => checkMeasurements('tdx', m, key, root, { allowedRtmr: [fixture.rtmr] }))).toBe('none');
        expect(code(() => checkMeasurements('tdx', m, key, root, { allowedRtmr: [[...fixture.rtmr.slice(0, 3), randomBytes(48)]] }))).toBe(
            'RTMR_NOT_ALLOWED',
        );
        expect(code(() => checkMeasurements('tdx', m, key, root, { allowedImageHashes: [randomBytes(32), imageHash(fixture)] }))).toBe(
            'none',
        );
        expect(code(() => checkMeasurements('tdx', m, key, root, { allowedImageHashes: [randomBytes(32)] }))).toBe(
            'IMAGE_HASH_NOT_ALLOWED',
        );
        expect(code(() => checkMeasurements('tdx', m, key, randomBytes(48), { allowedCollateralRootHashes: [root] }))).toBe(
            'COLLATERAL_NOT_ALLOWED',
        );
        expect(code(() => checkMeasurements('tdx', fixture, key, root, {}))).toBe('REPORTDATA_MISMATCH');
    });

    it('builds policies from config strings (hex or base64)', async () => {
        const zeroImage = imageHash(zeroMeasurements());
        const p = createPolicy({ policy: 'fake', allowedImageHashes: [zeroImage.toString('base64')] });
        await expect(p.validate(fakeQuote, key, 0)).resolves.toMatchObject({ kind: 'fake' });
        const q = createPolicy({ policy: 'fake', allowedImageHashes: ['0x' + randomBytes(32).toString('hex')] });
        await expect(q.validate(fakeQuote, key, 0)).rejects.toMatchObject({ code: 'IMAGE_HASH_NOT_ALLOWED' });
        expect(createPolicy({ policy: 'tdx' }).kind).toBe('tdx');
        expect(createPolicy({ policy: 'tdx', pccsUrl: 'https://localhost:8081' }).kind).toBe('tdx');
        expect(code(() => createPolicy({ policy: 'sgx' as never }))).toBe('POLICY_CONFIG');
        expect(code(() => createPolicy({ policy: 'tdx', allowedRtmr: [['00']] }))).toBe('POLICY_CONFIG');
        expect(code(() => decodeHash('zz', 32, 'x'))).toBe('POLICY_CONFIG');
        expect(decodeHash(INTEL_ROOT_KEY_ID.toString('hex'), 48, 'x')).toEqual(INTEL_ROOT_KEY_ID);
    });
});
