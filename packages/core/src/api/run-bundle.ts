/**
 * A run's bundle (`remote-cache/bundle.ts`), wired: a fresh clone with a remote cache fetches the
 * bundle of its commit and request while it plans; after a run in which every task succeeded in
 * a clean work tree, it uploads one (in CI, by default) unless the one it fetched held every
 * entry the run used already.
 */
import { relative, resolve } from 'node:path';
import { rootFilesDigest, type WorkTreeSnapshot } from '../files/snapshot.js'; // files, not indexes: `run-from-bundle.ts` fetches before the engine loads
import type { RemoteCache, RemoteCacheSettings, RemoteClient } from '../remote-cache/index.js';
import { runBundleKey } from '../remote-cache/bundle.js';
import { BUNDLE_PLAN_VERSION, type BundlePlan } from '../remote-cache/bundle-plan.js';
import { wildcardMatches } from '../inputs/env-patterns.js';
import { openRemoteClient } from '../remote-cache/open.js';
import { fetchFirstRunBundle, type BundleEntries } from '../remote-cache/bundle-fetch.js';
import { engineDigest, type ManifestRequest } from '../run-manifest/index.js';
import type { TaskId } from '../model/index.js';
import type { TaskStatus } from '../tasks/index.js';
import type { TaskPlan } from './task-plan.js';

export interface RunBundle {
  /** The run's remote client, opened early for the fetch (its breaker is the run's). */
  readonly client: RemoteClient;
  /** HEAD's commit and its first parent's, as git was asked for the keys (for whoever needs them too). */
  readonly commits: Promise<readonly string[] | undefined>;
  /** The bundle's key (HEAD's commit and the request); undefined without a commit. */
  readonly key: Promise<string | undefined>;
  /** Whether the work tree is the key's commit exactly: only then is a bundle uploaded. */
  readonly clean: Promise<boolean>;
  /** The entries fetched, by hash; undefined when there was no bundle to use. */
  readonly fetched: Promise<ReadonlyMap<string, Uint8Array> | undefined>;
  /** The plan of HEAD's own bundle (`run-from-bundle.ts`), as soon as known: undefined once it is missing, unusable or planless. */
  readonly plan: Promise<BundlePlan | undefined>;
  /** HEAD's own bundle's entries for restores, known with its plan (as they arrive, when the transport allows: `bundle-fetch.ts`). */
  readonly ownEntries: Promise<BundleEntries | undefined>;
  /** Whether HEAD's own bundle was found, and with a plan or not. */
  readonly own: Promise<'with-plan' | 'without-plan' | 'none'>;
  readonly upload: boolean;
}

/**
 * Starts fetching the bundle of HEAD's commit (a fresh clone's), unless the settings turn bundles
 * off; when that commit has none, its first parent's. `commits`: HEAD's commit, then its first
 * parent's when there is one, asked of git alone (the fetch starts before git's status is in);
 * `snapshot`: the work tree's, which says whether a bundle may be uploaded; `guess`: HEAD's commit as
 * the repository's files say (`scm/head-file.ts`), so that HEAD's bundle is asked for before git answers.
 */
export function startRunBundle(
  root: string,
  request: ManifestRequest,
  settings: RemoteCacheSettings,
  commits: Promise<readonly string[] | undefined>,
  snapshot: Promise<WorkTreeSnapshot>,
  warn: (message: string) => void,
  guess?: string,
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
  let settleOwn: (plan: BundlePlan | undefined, entries: BundleEntries | undefined) => void = () => undefined;
  const ownBundle = new Promise<{ plan?: BundlePlan; entries?: BundleEntries }>((resolve) => (settleOwn = (plan, entries) => resolve({ plan, entries })));
  const guessed = guess === undefined ? undefined : runBundleKey({ ...request, commit: guess, cwd });
  const found = fetchFirstRunBundle(client, keys, warn, settleOwn, guessed).catch(() => undefined);
  void found.finally(() => settleOwn(undefined, undefined));
  const fetched = found.then((f) => f?.entries);
  const own = found.then((f) => (f?.own !== true ? 'none' : f.plan !== undefined ? 'with-plan' : 'without-plan'));
  const [plan, ownEntries] = [ownBundle.then((o) => o.plan), ownBundle.then((o) => o.entries)];
  return { client, commits, key, clean, fetched, plan, ownEntries, own, upload: settings.runBundles === 'upload' };
}

/**
 * After a run: uploads the bundle this run should leave, with the run's plan when it may carry one (`bundlePlanOf`).
 * HEAD's own bundle, once there, stays (a run with other env values would replace it with entries the next clone cannot
 * use), unless it lacks the plan this run would add to the same entries; otherwise one is left when the bundle fetched (a
 * parent's) lacked an entry or a plan. Entries restored from that bundle go in from memory (they verified as they came;
 * reading them back cost more than the rest of the upload). `ordinary`: the cache was used, in this process's own env.
 */
export async function offerRunBundle(
  bundle: RunBundle,
  remote: RemoteCache,
  plan: TaskPlan,
  finished: readonly { readonly id: TaskId; readonly status: TaskStatus }[] | undefined,
  hits: ReadonlyMap<TaskId, { readonly source: 'local' | 'remote' }>,
  ordinary: boolean,
): Promise<void> {
  if (!bundle.upload || finished === undefined || finished.length === 0 || !finished.every((r) => r.status === 'success')) return;
  const [key, clean] = await Promise.all([bundle.key, bundle.clean]);
  if (key === undefined || !clean) return;
  const cacheable = [...plan.tasks.values()].filter((t) => t.cacheable);
  const [fetched, own] = await Promise.all([bundle.fetched, bundle.own]);
  const held = cacheable.every((t) => fetched?.has(t.hash));
  if (cacheable.length === 0 || own === 'with-plan' || (own === 'without-plan' && !held)) return;
  const runPlan = ordinary ? await bundlePlanOf(plan, finished) : undefined;
  if (held && runPlan === undefined) return;
  const known = new Map<string, Uint8Array>();
  for (const t of cacheable) {
    const body = hits.get(t.id)?.source === 'remote' ? fetched?.get(t.hash) : undefined;
    if (body !== undefined) known.set(t.hash, body);
  }
  remote.uploadBundle(
    key,
    cacheable.map((t) => t.hash),
    known,
    runPlan,
  );
}

/**
 * The plan a bundle of this run may carry: only when every task is cacheable and read no
 * `{runtime}` input (as for the run manifest), so that its hashes follow from what the plan vouches for.
 */
async function bundlePlanOf(plan: TaskPlan, finished: readonly { readonly id: TaskId }[]): Promise<BundlePlan | undefined> {
  const env: Record<string, string | null> = {};
  const tasks: [string, string][] = [];
  for (const { id } of finished) {
    const t = plan.tasks.get(id)!;
    if (!t.cacheable || Object.keys(t.fingerprint.runtime).length > 0) return undefined;
    Object.assign(env, t.fingerprint.env);
    tasks.push([id, t.hash]);
  }
  // An ordinary run's fingerprints read this process's env.
  const envWildcards = wildcardMatches(Object.keys(env), process.env);
  return {
    version: BUNDLE_PLAN_VERSION,
    engine: engineDigest(),
    roots: rootFilesDigest(plan.ws.root),
    env,
    ...(Object.keys(envWildcards).length > 0 && { envWildcards }),
    tasks,
  };
}
