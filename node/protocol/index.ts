/** COCOON wire protocol: TL codec, framing, PoW, connections (plaintext or RA-TLS), router preamble. */
export { ProtocolError, QueryError } from './errors';
export * from './tl/generated';
export {
    constructorId,
    decode,
    decodeAs,
    decodeBare,
    decodeFunction,
    encode,
    encodeAs,
    encodeBare,
    is,
    isFunction,
    isResultOf,
    nameById,
    readBoxed,
    resultTypeOf,
    writeBoxed,
} from './tl/codec';
export { TlReader, TlWriter, BOOL_FALSE, BOOL_TRUE } from './tl/runtime';
export { FromJsonOptions, fromJson, toJson } from './tl/json';
export { Frame, FrameDecoder, MAX_FRAME_PAYLOAD, MIN_FRAME_PAYLOAD, encodeFrame } from './framing';
export {
    DEFAULT_MAX_POW_DIFFICULTY,
    DEFAULT_POW_DIFFICULTY,
    PowChallenge,
    checkNonce,
    leadingZeroBits,
    makeChallenge,
    powClient,
    powServer,
    solve as solvePow,
} from './pow';
export { ConnectionRole, TcpConnection, TcpConnectionOptions } from './connection';
export { ErrorCode, IncomingQuery, QueryHandler, RpcConnection } from './rpc';
export { AttestedPeerInfo, PeerAttestation, decodePeerInfo, encodePeerInfo, identityFromPeerInfo, readPeerInfo } from './peer-info';
export { ConnectOptions, ConnectionTuning, ListenOptions, PlaintextPeerInfo, RpcServer, connect, listen } from './transport';
export * as e2e from './e2e';
export {
    PROTO,
    ProtoRange,
    OUR_RANGES,
    UPSTREAM_RANGES,
    acceptChosen as acceptProtoVersion,
    advertisedRange,
    chosenVersion,
    finalInfoFlags,
    negotiate as negotiateProtoVersion,
    runQueryExFlags,
    supports as protoSupports,
} from './version';
export { TimingHop, parseTimingValue, timingHeaderName, timingHeaders, timingValue } from './timing';
export { UsageCosts, addUsageCosts, usageCosts } from './costs';
