/**
 * The circuit breaker in front of a remote client: after `threshold` failures in a row (or one
 * fatal one: refused credentials, a host that does not resolve), the remote is not used for the
 * rest of the run. It warns once, at the first problem, in one line that says what follows.
 * A remote that fails never fails a build: callers get a `failed` answer and go on locally.
 */
import type { ArtifactBody, RemoteClient, RemoteHas, RemoteProblem, RemoteRead, RemoteWrite } from './client.js';

export class CircuitBreaker {
  private failures = 0;
  private warned = false;
  /** Why the remote is no longer used, once it is not. */
  openReason: string | undefined;

  constructor(
    readonly server: string,
    private readonly warn: (message: string) => void,
    readonly threshold = 3,
  ) {}

  get open(): boolean {
    return this.openReason !== undefined;
  }

  success(): void {
    this.failures = 0;
  }

  failure(problem: RemoteProblem): void {
    if (this.open) return;
    this.failures++;
    const stop = problem.fatal || this.failures >= this.threshold;
    if (stop) this.openReason = problem.reason;
    if (!this.warned)
      this.warn(
        `remote cache ${this.server}: ${problem.reason}; ${stop ? 'not used for the rest of this run' : `not used for the rest of this run after ${this.threshold} failures in a row`}. Tasks run as usual.`,
      );
    this.warned = true;
  }
}

/** `client` behind `breaker`: once it is open, every call answers `failed` without a request. */
export function guarded(client: RemoteClient, breaker: CircuitBreaker): RemoteClient {
  const closed = (): { status: 'failed'; problem: RemoteProblem } => ({ status: 'failed', problem: { reason: breaker.openReason ?? 'not used', fatal: true } });
  const track = <T extends RemoteRead | RemoteWrite | RemoteHas>(r: T): T => {
    if (r.status === 'failed') breaker.failure(r.problem);
    else breaker.success();
    return r;
  };
  return {
    server: client.server,
    readOnly: client.readOnly,
    has: async (key) => (breaker.open ? closed() : track(await client.has(key))),
    get: async (key) => (breaker.open ? closed() : track(await client.get(key))),
    put: async (key: string, body: ArtifactBody, durationMs?: number) => (breaker.open ? closed() : track(await client.put(key, body, durationMs))),
    failed: (problem) => breaker.failure(problem),
  };
}
