/**
 * End-to-end encrypted requests and answers (upstream's "v1"). The calls the runners make:
 *
 *   client app / client daemon   encryptJson(body, clientKey, workerKey, 'client-to-worker')
 *                                decryptJson(answer, 'worker-to-client', { privateKey: clientKey, expectedSender: workerKey })
 *   client daemon (no key)       requestEncryption(body) -> the receiver key for client.runQueryEx.public_key
 *   worker                       decryptJson(body, 'client-to-worker', { privateKey: workerKey }) -> senderPublicKey
 *                                encryptJson(answer, workerKey, senderPublicKey, 'worker-to-client')
 *
 * The proxy never calls these. Upstream's proxy relays a key-manager private key in
 * proxy.runQueryEx.private_key; this project's proxy relays none: requests are encrypted to the
 * worker's own attested key and routed to that worker (docs/protocol.md).
 */
export * from './errors';
export * from './cipher';
export * from './shared-secret';
export * from './json';
export * from './request';
