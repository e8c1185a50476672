/** Moved to node/chain/fast-hash.ts (shared by every service); kept as a re-export for tests/bench/explorer.ts. */
export { installNativeSha256 } from '../node/chain/fast-hash';
