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
import type { TaskId } from '../model/index.js';
import type { TaskStatus } from '../tasks/index.js';
import { trace } from '../trace/index.js';
import type { TaskPlan } from './task-plan.js';

export interface RunBundle {
  /** The run's remote client, opened early for the fetch (its breaker is the run's). */
  readonly client: RemoteClient;
  /** The bundle's key (HEAD's commit and the request); undefined without a commit. */
  readonly key: Promise<string | undefined>;
  /** Whether the work tree is the key's commit exactly: only then is a bundle uploaded. */
  readonly clean: Promise<boolean>;
  /** The entries fetched, by hash; undefined when there was no bundle to use. */
  readonly fetched: Promise<ReadonlyMap<string, Uint8Array> | undefined>;
  readonly upload: boolean;
}

/**
 * Starts fetching the bundle of HEAD's commit (a fresh clone's), unless the settings turn bundles
 * off; when that commit has none, its first parent's. `commits`: HEAD's commit, then its first
 * parent's when there is one, asked of git alone (the fetch starts before git's status is in);
 * `snapshot`: the work tree's, which says whether a bundle may be uploaded.
 */
export function startRunBundle(
  root: string,
  request: ManifestRequest,
  settings: RemoteCacheSettings,
  commits: Promise<readonly string[] | undefined>,
  snapshot: Promise<WorkTreeSnapshot>,
  warn: (message: string) => void,
): RunBundle | undefined {
  if (settings.runBundles === 'off') return undefined;
  const client = openRemoteClient(settings, warn);
  const cwd = relative(root, resolve(request.cwd)).split('\\').join('/');
  const keys = commits.then(
    (cs) => (cs ?? []).map((commit) => runBundleKey({ ...request, commit, cwd })),
    () => [],
  );
  const key = keys.then((ks) => ks[0]);
  const clean = Promise.all([commits, snapshot]).then(
    ([cs, s]) => cs?.[0] !== undefined && s.head === cs[0] && s.entries.length === 0,
    () => false,
  );
  const fetched = keys.then((ks) => fetchFirst(client, ks, warn)).catch(() => undefined);
  return { client, key, clean, fetched, upload: settings.runBundles === 'upload' };
}

/**
 * The first of the bundles under `keys` that the server has (HEAD's, else its parent's: a new
 * commit shares most of its tasks' entries with the one before it, and the plan uses only those
 * whose hashes it worked out). Only a missing one sends kiln to the next: after a refused bundle
 * or a failing server, tasks are fetched alone.
 */
async function fetchFirst(client: RemoteClient, keys: readonly string[], warn: (message: string) => void): Promise<ReadonlyMap<string, Uint8Array> | undefined> {
  for (const [i, k] of keys.entries()) {
    const got = await fetchRunBundle(client, k, warn);
    if (got.status === 'found') {
      trace(`run bundle ${k.slice(0, 12)}${i === 0 ? '' : " (of HEAD's parent)"}: ${got.entries.size} entries`);
      return got.entries;
    }
    trace(`no run bundle ${k.slice(0, 12)} to use`);
    if (got.status === 'unusable') return undefined;
  }
  return undefined;
}

/**
 * After a run: hands the remote cache the bundle to upload, when this run should leave one. An
 * entry this run restored from the bundle it fetched (a parent's) goes in as that bundle had it,
 * from memory: it verified as it came, and reading it back from the local store cost more than
 * the rest of the upload.
 */
export async function offerRunBundle(
  bundle: RunBundle,
  remote: RemoteCache,
  plan: TaskPlan,
  finished: readonly { readonly status: TaskStatus }[] | undefined,
  hits: ReadonlyMap<TaskId, { readonly source: 'local' | 'remote' }>,
): Promise<void> {
  if (!bundle.upload || finished === undefined || finished.length === 0 || !finished.every((r) => r.status === 'success')) return;
  const [key, clean] = await Promise.all([bundle.key, bundle.clean]);
  if (key === undefined || !clean) return;
  const cacheable = [...plan.tasks.values()].filter((t) => t.cacheable);
  const fetched = await bundle.fetched;
  if (cacheable.length === 0 || cacheable.every((t) => fetched?.has(t.hash))) return;
  const known = new Map<string, Uint8Array>();
  for (const t of cacheable) {
    const body = hits.get(t.id)?.source === 'remote' ? fetched?.get(t.hash) : undefined;
    if (body !== undefined) known.set(t.hash, body);
  }
  remote.uploadBundle(
    key,
    cacheable.map((t) => t.hash),
    known,
  );
}
