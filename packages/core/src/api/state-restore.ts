/**
 * A fresh clone's start from the affected state shared by commit (`shared-state.ts` has the
 * stores): with no saved state, the state of head, else of its first parent, else of its
 * merge-base with the base ref, for `kiln affected` and `kiln run`. Never throws: a state that cannot be had costs only speed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openLocalCache, startRestoreWorkerFor, type LocalCache } from '../cache/index.js';
import { restoreSharedState, type SavedGraphView } from '../graph-state/index.js';
import { remoteCacheSettings } from '../remote-cache/index.js';
import { baseRefFor, headAndParent, resolveBase, revParseCommits, type BaseRequest } from '../scm/index.js';
import { trace } from '../trace/index.js';
import type { KilnConfig } from '../workspace/kiln-config.js';
import type { ManifestRequest } from '../run-manifest/index.js';
import type { PlanGit } from './plan-git.js';
import { startRunBundle, type RunBundle } from './run-bundle.js';
import { kilnConfig } from './kiln-settings.js';
import { STATE_FILE, stateStores } from './shared-state.js';

/**
 * With no saved state at `root`, loads the shared state of head or, failing that, of head's first
 * parent, then of the merge-base of `baseRef` and head: the view it saved, with the state in memory,
 * or undefined. Never throws: a store that fails costs only the speed (a warning says so).
 * `commits`: what head and the base ref name, when git was asked already.
 */
export function restoreForAffected(
  root: string,
  baseRef: string,
  head: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  warn: (line: string) => void,
  commits?: Promise<readonly string[] | undefined>,
): Promise<SavedGraphView | undefined> {
  return restoreShared(root, { baseRef, ...(head && { head }) }, env, warn, { commits });
}

/** What git was asked already: what head and the base ref name (`commits`), head's first parent (`parent`). */
interface Asked {
  readonly commits?: Promise<readonly string[] | undefined> | undefined;
  readonly parent?: Promise<string | undefined>;
}

async function restoreShared(
  root: string,
  request: BaseRequest,
  env: Readonly<Record<string, string | undefined>>,
  warn: (line: string) => void,
  asked: Asked,
  beforeSave?: Promise<unknown>,
  config?: KilnConfig,
): Promise<SavedGraphView | undefined> {
  try {
    const stores = stateStores(root, env, warn, config);
    if (stores.length === 0) return undefined;
    // Head's first parent, between head and the base: on the base branch itself the base is head, and a new commit's state is not saved yet.
    const parent = asked.parent ?? revParseCommits(root, [`${request.head ?? 'HEAD'}^`]).then((r) => r?.commits[0]);
    const commits = await asked.commits?.catch(() => undefined);
    const resolved = await resolveBase(root, commits?.length === 2 ? { ...request, commits: [commits[0]!, commits[1]!] } : request);
    if (!resolved.ok) return undefined;
    const before = await parent.catch(() => undefined);
    const r = await restoreSharedState(root, [resolved.value.head, ...(before ? [before] : []), resolved.value.base], stores, beforeSave);
    for (const w of r.warnings) warn(w);
    if (r.used) trace(`shared graph state of ${r.used.commit.slice(0, 12)} from ${r.used.store}`);
    return r.used?.saved;
  } catch (e) {
    warn(`the shared graph state could not be loaded: ${(e as Error).message}`);
    return undefined;
  }
}

/** What a fresh clone's run started: the shared graph state being fetched, its run bundle's fetch, and the cache that restores the bundle ahead. */
export interface FreshCloneStart {
  readonly shared: Promise<SavedGraphView | undefined>;
  readonly bundle?: RunBundle | undefined;
  readonly cache?: Promise<LocalCache | undefined> | undefined;
}

/**
 * `kiln run`'s start in a fresh clone (no saved graph state). With a remote cache, which will
 * restore most of its tasks, its first restore worker starts now, so the worker's start-up
 * overlaps the plan (`cache/restore-pool.ts`), and the run bundle of its commit is fetched
 * (`run-bundle.ts`). And the shared state of head (else of its parent, or its merge-base with the base ref) is
 * fetched, so planning does not rescan every source file: the view it saved, or undefined. Never
 * throws, and says nothing but in the trace: a state that cannot be had costs only speed, and the
 * run's own remote client reports a failing server once (`kiln affected` says why a state was not
 * used). `git.writable`: settles once kiln may write into `.kiln`. Undefined when the clone is not fresh.
 */
export function startFreshClone(
  root: string,
  request: ManifestRequest & { readonly skipCache?: boolean; readonly bundle?: RunBundle },
  env: Readonly<Record<string, string | undefined>>,
  git: PlanGit,
  warn: (m: string) => void,
): FreshCloneStart | undefined {
  if (existsSync(join(root, STATE_FILE))) return undefined;
  const config = kilnConfig(root);
  const remote = remoteCacheSettings(config.remoteCache, env);
  // Asked once, for the run bundle's key and for the shared state alike (by the bundle's shortcut already, when it handed the bundle on).
  const head = request.bundle?.commits ?? headAndParent(root);
  let bundle: RunBundle | undefined;
  let cache: Promise<LocalCache | undefined> | undefined;
  if (remote.status === 'on') {
    // One worker, for the entries downloaded alone; a run bundle's header, when one comes, says how many its bodies are worth (`bodiesAtHand`).
    startRestoreWorkerFor(root, config.cacheDirectory, { restoreMode: config.restoreMode });
    bundle = request.bundle ?? startRunBundle(root, request, remote.settings, head, git.snapshot, warn);
    // A run that ignores cached results restores nothing ahead.
    cache = bundle && request.skipCache !== true ? restoreAhead(root, config, git, bundle) : undefined;
  }
  const shared = (async () => {
    const baseRef = await baseRefFor(root, undefined, env).catch(() => 'main');
    // One rev-parse for both (none of them resolving: resolveBase asks ref by ref, to say which).
    const commits = revParseCommits(root, ['HEAD', baseRef]).then((r) => r?.commits);
    const parent = head.then((cs) => cs?.[1]);
    return restoreShared(root, { baseRef }, env, (w) => trace(`shared graph state not used: ${w}`), { commits, parent }, git.writable, config);
  })();
  return { shared, bundle, cache };
}


/**
 * Opens the cache once kiln may write into `.kiln`, and restores the run bundle's entries ahead
 * when it arrives (`cache/ahead.ts`): the plan takes this cache. Undefined when it cannot be
 * opened (the plan opens it again, and says why).
 */
async function restoreAhead(root: string, config: KilnConfig, git: PlanGit, bundle: RunBundle): Promise<LocalCache | undefined> {
  try {
    await git.writable;
    const cache = openLocalCache(root, config.cacheDirectory, { maxSize: config.cacheMaxSize, restoreMode: config.restoreMode });
    cache.restoreAhead(bundle.fetched);
    return cache;
  } catch {
    return undefined;
  }
}
