import { E2eError } from './errors';
import { type JsonObject, parseKey } from './json';

/**
 * The worker key an app encrypted its request to, read from the body's `receiver_public_key` (the
 * client daemon puts it into client.runQueryEx.public_key so the proxy can pick the matching private
 * key). Undefined for a plaintext body. The daemon cannot read the rest of an encrypted body: the app
 * encrypted it before sending.
 */
export function receiverKeyOf(body: JsonObject): Buffer | undefined {
    if (!Object.hasOwn(body, 'receiver_public_key')) return undefined;
    const v = body['receiver_public_key'];
    if (typeof v !== 'string') throw new E2eError('E2E_BAD_KEY', "field 'receiver_public_key' must be a string");
    return parseKey(v, 'receiver_public_key');
}

/** An all-zero key means "not encrypted" in client.runQueryEx.public_key (upstream sends it that way). */
export function isZeroKey(key: Buffer | undefined): boolean {
    return !key || key.every((b) => b === 0);
}
