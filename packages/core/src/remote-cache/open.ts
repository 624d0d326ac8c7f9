/** Opens the client the settings name, behind its circuit breaker, and the task cache on it. */
import type { LocalCache } from '../cache/index.js';
import { KilnError } from '../model/index.js';
import type { RemoteCacheConfig } from '../workspace/index.js';
import { BazelClient } from './bazel.js';
import { CircuitBreaker, guarded } from './breaker.js';
import type { RemoteClient } from './client.js';
import { RemoteCache } from './remote.js';
import { remoteCacheSettings, type RemoteCacheSettings } from './settings.js';
import { TurboClient } from './turbo.js';

/** A client for `settings.protocol`; its failures warn (at most twice a run, see `CircuitBreaker`) and never throw. */
export function openRemoteClient(settings: RemoteCacheSettings, warn: (message: string) => void): RemoteClient {
  const client = settings.protocol === 'bazel' ? new BazelClient(settings) : new TurboClient(settings);
  return guarded(client, new CircuitBreaker(client.server, warn));
}

/**
 * The remote task cache nx.json `kiln.remoteCache` and the environment set up, or undefined for
 * none. A variable with a wrong value is a configuration error (thrown, exit 2); a server that
 * fails is only ever a warning.
 */
export function openRemoteCache(
  local: LocalCache,
  config: RemoteCacheConfig | undefined,
  env: Readonly<Record<string, string | undefined>>,
  warn: (message: string) => void,
  /** The client to use, when the run opened it already (a run bundle's fetch). */
  client?: RemoteClient,
): RemoteCache | undefined {
  const s = remoteCacheSettings(config, env);
  if (s.status === 'off') return undefined;
  if (s.status === 'invalid') throw new KilnError(s.diagnostic);
  return new RemoteCache(local, client ?? openRemoteClient(s.settings, warn), s.settings.uploadConcurrency, warn);
}
