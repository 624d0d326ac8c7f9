/** Opens the client the settings name, behind its circuit breaker. */
import { BazelClient } from './bazel.js';
import { CircuitBreaker, guarded } from './breaker.js';
import type { RemoteClient } from './client.js';
import type { RemoteCacheSettings } from './settings.js';
import { TurboClient } from './turbo.js';

/** A client for `settings.protocol`; its failures warn (at most twice a run, see `CircuitBreaker`) and never throw. */
export function openRemoteClient(settings: RemoteCacheSettings, warn: (message: string) => void): RemoteClient {
  const client = settings.protocol === 'bazel' ? new BazelClient(settings) : new TurboClient(settings);
  return guarded(client, new CircuitBreaker(client.server, warn));
}
