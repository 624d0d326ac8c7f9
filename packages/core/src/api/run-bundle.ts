/**
 * A run's bundle (`remote-cache/bundle.ts`), wired: a fresh clone with a remote cache fetches the
 * bundle of its commit and request while it plans; after a run in which every task succeeded in
 * a clean work tree, it uploads one (in CI, by default) unless the one it fetched held every
 * entry the run used already.
 */
import { relative, resolve } from 'node:path';
import type { WorkTreeSnapshot } from '../files/index.js';
import { fetchRunBundle, openRemoteClient, runBundleKey, type RemoteCache, type RemoteCacheSettings, type RemoteClient } from '../remote-cache/index.js';
import type { ManifestRequest } from '../run-manifest/index.js';
import type { TaskStatus } from '../tasks/index.js';
import { trace } from '../trace/index.js';
import type { TaskPlan } from './task-plan.js';

export interface RunBundle {
  /** The run's remote client, opened early for the fetch (its breaker is the run's). */
  readonly client: RemoteClient;
  /** The bundle's key, and whether the work tree is its commit exactly (only then is a bundle uploaded); undefined without a commit. */
  readonly key: Promise<{ readonly key: string; readonly clean: boolean } | undefined>;
  /** The entries fetched, by hash; undefined when there was no bundle to use. */
  readonly fetched: Promise<ReadonlyMap<string, Uint8Array> | undefined>;
  readonly upload: boolean;
}

/** Starts fetching the bundle of the commit git's snapshot names (a fresh clone's), unless the settings turn bundles off. */
export function startRunBundle(
  root: string,
  request: ManifestRequest,
  settings: RemoteCacheSettings,
  snapshot: Promise<WorkTreeSnapshot>,
  warn: (message: string) => void,
): RunBundle | undefined {
  if (settings.runBundles === 'off') return undefined;
  const client = openRemoteClient(settings, warn);
  const cwd = relative(root, resolve(request.cwd)).split('\\').join('/');
  const key = snapshot.then(
    (s) => (s.head === undefined ? undefined : { key: runBundleKey({ ...request, commit: s.head, cwd }), clean: s.entries.length === 0 }),
    () => undefined,
  );
  const fetched = key
    .then(async (k) => {
      if (k === undefined) return undefined;
      const entries = await fetchRunBundle(client, k.key, warn);
      trace(entries ? `run bundle ${k.key.slice(0, 12)}: ${entries.size} entries` : `no run bundle ${k.key.slice(0, 12)} to use`);
      return entries;
    })
    .catch(() => undefined);
  return { client, key, fetched, upload: settings.runBundles === 'upload' };
}

/** After a run: hands the remote cache the bundle to upload, when this run should leave one. */
export async function offerRunBundle(bundle: RunBundle, remote: RemoteCache, plan: TaskPlan, finished: readonly { readonly status: TaskStatus }[] | undefined): Promise<void> {
  if (!bundle.upload || finished === undefined || finished.length === 0 || !finished.every((r) => r.status === 'success')) return;
  const k = await bundle.key;
  if (k === undefined || !k.clean) return;
  const hashes = [...plan.tasks.values()].filter((t) => t.cacheable).map((t) => t.hash);
  const fetched = await bundle.fetched;
  if (hashes.length > 0 && !hashes.every((h) => fetched?.has(h))) remote.uploadBundle(k.key, hashes);
}
