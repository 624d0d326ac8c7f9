/**
 * remote-cache: kiln's cache shared through servers teams already run, never one of kiln's own:
 * Turborepo's Remote Cache API v8 (`turbo.ts`) and Bazel's HTTP cache (`bazel.ts`), behind one
 * `RemoteClient` interface (`client.ts`) and a circuit breaker (`breaker.ts`). Settings come from
 * nx.json `kiln.remoteCache` with the environment over it (`settings.ts`); the token only from
 * the environment, and it is never printed.
 *
 * Edge module: it talks to the network. Nothing a server sends is trusted: entries are
 * downloaded into the local store's verification path (see `cache/types.ts` `Cache`).
 */
export { RUN_BUNDLE_ENTRY_MAX, RUN_BUNDLE_MAX, decodeRunBundle, encodeRunBundle, runBundleKey, type BundledEntry, type RunBundleRequest } from './bundle.js';
export {
  isRemoteKey,
  readWholeBody,
  RemoteBodyError,
  type ArtifactBody,
  type WholeRead,
  type RemoteClient,
  type RemoteHas,
  type RemoteProblem,
  type RemoteRead,
  type RemoteWrite,
} from './client.js';
export { BUNDLE_PLAN_VERSION, parseBundlePlan, planMismatch, type BundlePlan, type PlanFacts } from './bundle-plan.js';
export { CircuitBreaker, guarded } from './breaker.js';
export { durationOf, remoteDurations } from './durations.js';
export { openRemoteCache, openRemoteClient } from './open.js';
export { RemoteCache } from './remote.js';
export { fetchRunBundle, wholeEntries, type BundleEntries, type FetchedBundle } from './bundle-fetch.js';
export { uploadRunBundle } from './run-bundle.js';
export { DEFAULT_REMOTE_TIMEOUT_MS, remoteCacheSettings, type RemoteCacheSettings, type RemoteSettingsResult } from './settings.js';
export { ArtifactSigner, tagMatches } from './sign.js';
