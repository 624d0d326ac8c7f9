/**
 * A remote server as a `Cache` of task entries. Nothing it sends is trusted: `restore` streams
 * the entry into the local store's verification path (`LocalCache.receive`: every blob's digest,
 * the manifest's checksum, paths that stay inside the workspace, the transport's signature or
 * digest), then restores it from the manifest and bytes just verified (on a restore worker when
 * the body is small), so one piece of code writes into the workspace. `store` queues an upload of
 * the entry the local store just wrote: uploads run in the background, a few at a time, and
 * `flush` waits for them before kiln exits. A run bundle (`run-bundle.ts`), when one was fetched,
 * is asked first: its entry of a hash goes down the same verification path as a download.
 */
import pLimit from 'p-limit';
import type { Cache, LocalCache, LookupResult, OutputStatIndex, RestoreResult, StoreRequest, StoreResult, TakenIn } from '../cache/index.js';
import { RemoteBodyError, type RemoteClient, type RemoteRead } from './client.js';
import { uploadRunBundle } from './run-bundle.js';
import type { BundlePlan } from './bundle-plan.js';
import type { BundleEntries } from './bundle-fetch.js';

export class RemoteCache implements Cache {
  readonly kind = 'remote';
  private readonly pending = new Set<Promise<void>>();
  private readonly limit: ReturnType<typeof pLimit>;
  /** The entries of the run bundle being fetched (`useBundle`). */
  private bundle: BundleEntries | undefined;
  /** The hashes whose entry in that bundle was refused (never uploaded again from it). */
  private readonly refused = new Set<string>();

  constructor(
    private readonly local: LocalCache,
    readonly client: RemoteClient,
    uploadConcurrency: number,
    /** Says what degraded without failing (restore workers that died). */
    private readonly warn?: (message: string) => void,
  ) {
    this.limit = pLimit(uploadConcurrency);
  }

  get server(): string {
    return this.client.server;
  }

  async lookup(hash: string): Promise<LookupResult> {
    const r = await this.client.has(hash);
    return r.status === 'failed' ? { status: 'unavailable', reason: r.problem.reason } : r;
  }

  /** Restores from `entries` (a run bundle being fetched) the entries it holds, before asking the server. */
  useBundle(entries: BundleEntries): void {
    this.bundle = entries;
    // Its bodies are in memory: no network for this thread to handle, so the restore workers take every core (none for a few).
    void entries.atHand.then((bytes) => bytes > 0 && this.local.bodiesAtHand(bytes));
  }

  /** Downloads (or takes from the run bundle), verifies and restores the entry of `hash`. A refused entry is `corrupt` (nothing of it kept); a failing server `unavailable` (its breaker has said so: `said`); the local store failing, `unavailable` too. */
  async restore(hash: string, index?: OutputStatIndex): Promise<RestoreResult> {
    const bundled = await this.bundle?.get(hash);
    if (bundled !== undefined) {
      const r = await this.takeIn(hash, { status: 'found', body: once(bundled), size: bundled.length, verdict: () => undefined }, index);
      // The bundle passed the transport's verdict as a whole; an entry of it that does not verify is asked of the server alone.
      if (r.status !== 'corrupt') return r;
      this.refused.add(hash);
      this.warn?.(`remote cache ${this.server}: the run bundle's entry ${hash.slice(0, 12)} was refused (${r.reason}); fetching it alone`);
    }
    const r = await this.client.get(hash);
    if (r.status === 'miss') return r;
    if (r.status === 'failed') return { status: 'unavailable', reason: r.problem.reason, said: true };
    return this.takeIn(hash, r, index);
  }

  private async takeIn(hash: string, r: Extract<RemoteRead, { status: 'found' }>, index?: OutputStatIndex): Promise<RestoreResult> {
    let got: TakenIn;
    try {
      got = await this.local.receiveAndRestore(hash, r.body, r.verdict, index, r.size, this.warn);
    } catch (e) {
      if (!(e instanceof RemoteBodyError)) throw e;
      this.client.failed?.({ reason: e.message, fatal: false });
      return { status: 'unavailable', reason: e.message, said: true };
    }
    if (got.status === 'stale') return { status: 'miss' };
    if (got.status === 'refused') return { status: 'corrupt', reason: got.reason };
    return got;
  }

  /** Queues the upload of the local entry `req` was just stored as; it answers at once (`flush` waits). */
  async store(req: StoreRequest): Promise<StoreResult> {
    this.upload(req.hash);
    return { status: 'stored' };
  }

  /** Uploads the local entry of `hash` in the background (nothing in read-only mode). */
  upload(hash: string): void {
    this.queue(async () => {
      const body = await this.local.entryStream(hash);
      if (body) await this.client.put(hash, body, body.durationMs);
    });
  }

  private queue(work: () => Promise<void>): void {
    if (this.client.readOnly) return;
    const p: Promise<void> = this.limit(work)
      .catch(() => undefined)
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Uploads, in the background, the run bundle of the entries of `hashes` under `key` (`run-bundle.ts`), with the run's `plan` if any: bodies from `known`, else from the local store. */
  uploadBundle(key: string, hashes: readonly string[], known?: ReadonlyMap<string, Uint8Array>, plan?: BundlePlan): void {
    // A body the fetched bundle held but that was refused here is read from the local store instead (the one fetched alone).
    const trusted = known && new Map([...known].filter(([hash]) => !this.refused.has(hash)));
    this.queue(() => uploadRunBundle(this.client, this.local, key, hashes, trusted, plan));
  }

  /** Waits for every queued upload (they never throw). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

async function* once(body: Uint8Array): AsyncGenerator<Uint8Array> {
  yield body;
}
