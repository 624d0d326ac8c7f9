/**
 * The affected state shared by commit (graph-state/shared.ts), wired: the stores a workspace has
 * (its cache folder's `states/`, then the remote cache when one is configured), the commits a
 * fresh clone asks for (head, then the merge-base with the base ref), and `kiln ci state
 * save|load` for saving after a build on the main branch or moving a state by file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCacheFolder, markCacheFolder } from '../cache/index.js';
import { affectedGraph, exportState, folderStateStore, readSharedState, remoteStateStore, restoreSharedState, sharedStateKey, type StateStore } from '../graph-state/index.js';
import { saveState } from '../graph-state/store.js';
import { diagnostic, KilnError } from '../model/index.js';
import { baseRefFor, resolveBase, resolveCommit, workingTreeChanges } from '../scm/index.js';
import { trace } from '../trace/index.js';
import { requireWorkspaceRoot } from '../workspace/find-root.js';
import { parseJson } from '../workspace/json.js';
import { defaultKilnConfig, readKilnConfig, type KilnConfig } from '../workspace/kiln-config.js';
import { openRemoteClient, remoteCacheSettings } from '../remote-cache/index.js';
import { Checker } from '../workspace/validate.js';

export const STATE_FILE = '.kiln/affected-state.json';

/** The stores of the workspace at `root`, nearest first: the cache folder's states/, then the remote cache when one is set up. */
export function stateStores(root: string, env: Readonly<Record<string, string | undefined>>, warn: (line: string) => void): StateStore[] {
  const config = kilnConfig(root);
  const stores: StateStore[] = [];
  const folder = checkCacheFolder(root, config.cacheDirectory);
  if (folder.status !== 'refused' && folder.status !== 'unusable')
    stores.push(folderStateStore(join(config.cacheDirectory, 'states'), `the cache folder's states/`, () => markCacheFolder(config.cacheDirectory)));
  const remote = remoteCacheSettings(config.remoteCache, env);
  if (remote.status === 'invalid') throw new KilnError(remote.diagnostic);
  if (remote.status === 'on') stores.push(remoteStateStore(openRemoteClient(remote.settings, warn)));
  return stores;
}

/**
 * With no saved state at `root`, loads the shared state of head or, failing that, of the merge-base
 * of `baseRef` and head. Never throws: a store that fails costs only the speed (a warning says so).
 */
export async function restoreForAffected(
  root: string,
  baseRef: string,
  head: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  warn: (line: string) => void,
): Promise<boolean> {
  if (existsSync(join(root, STATE_FILE))) return true;
  try {
    const stores = stateStores(root, env, warn);
    if (stores.length === 0) return false;
    const resolved = await resolveBase(root, { baseRef, ...(head && { head }) });
    if (!resolved.ok) return false;
    const r = await restoreSharedState(root, [resolved.value.head, resolved.value.base], stores);
    for (const w of r.warnings) warn(w);
    if (r.used) trace(`shared graph state of ${r.used.commit.slice(0, 12)} from ${r.used.store}`);
    return r.used !== undefined;
  } catch (e) {
    warn(`the shared graph state could not be loaded: ${(e as Error).message}`);
    return false;
  }
}

/**
 * `kiln run` in a fresh clone: with no saved graph state, the shared state of head (else of its
 * merge-base with the base ref), so planning does not rescan every source file. Never throws,
 * and says nothing but in the trace: a state that cannot be had costs only speed, and the run's
 * own remote client reports a failing server once (`kiln affected` says why a state was not used).
 */
export async function restoreForRun(root: string, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  if (existsSync(join(root, STATE_FILE))) return;
  await restoreForAffected(root, await baseRefFor(root, undefined, env).catch(() => 'main'), undefined, env, (w) => trace(`shared graph state not used: ${w}`));
}

/** `kiln ci state save [--file F]`: brings the saved state up to HEAD (a clean work tree) and shares it. */
export async function saveSharedState(options: {
  cwd: string;
  file?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<{ commit: string; key: string; bytes: number; stored: string[]; warnings: string[] }> {
  const root = requireWorkspaceRoot(options.cwd);
  const head = await resolveCommit(root, 'HEAD');
  if (head === undefined) throw new KilnError(diagnostic('not-a-git-repository', 'kiln ci state save needs a git repository with a commit.'));
  const changes = await workingTreeChanges(root, head);
  if (changes.length > 0)
    throw new KilnError(
      diagnostic('usage', `the work tree has ${changes.length} changed file(s): a shared state must describe a commit as it is.`, {
        hint: 'Commit or stash the changes first (in CI, save before anything writes into the checkout).',
      }),
    );
  await affectedGraph(root, head, [], { full: false });
  const exported = exportState(root, head);
  if ('problem' in exported) throw new KilnError(diagnostic('usage', `no graph state to share: ${exported.problem}.`));
  const key = sharedStateKey(head);
  if (options.file !== undefined) {
    writeFileSync(options.file, exported.body);
    return { commit: head, key, bytes: exported.body.length, stored: [options.file], warnings: [] };
  }
  const stored: string[] = [];
  const warnings: string[] = [];
  for (const store of stateStores(root, options.env ?? process.env, (w) => warnings.push(w))) {
    const w = await store.put(key, exported.body);
    if (w.status === 'stored') stored.push(store.name);
    else warnings.push(w.reason);
  }
  return { commit: head, key, bytes: exported.body.length, stored, warnings };
}

/** `kiln ci state load --file F`: makes a state saved to a file the workspace's saved state (it must describe a commit of this repository). */
export async function loadSharedState(options: { cwd: string; file: string }): Promise<{ commit: string }> {
  const root = requireWorkspaceRoot(options.cwd);
  let body: Buffer;
  try {
    body = readFileSync(options.file);
  } catch (e) {
    throw new KilnError(diagnostic('usage', `cannot read ${options.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`));
  }
  // The commit is the state's own; it must name a commit of this repository.
  const shared = readSharedState(body, root);
  if ('problem' in shared) throw new KilnError(diagnostic('usage', `${options.file} cannot be used: ${shared.problem}.`));
  const commit = shared.state.anchor;
  if ((await resolveCommit(root, `${commit}^{commit}`)) !== commit)
    throw new KilnError(
      diagnostic('usage', `${options.file} is the graph state of ${commit.slice(0, 12)}, which is not a commit of this repository.`, {
        hint: 'Fetch it, or save a state on a checkout of this repository: kiln ci state save --file F.',
      }),
    );
  saveState(root, shared.state);
  return { commit };
}

/** nx.json's `"kiln"` settings, read without loading the workspace; a broken nx.json leaves the defaults (the workspace reader reports it). */
function kilnConfig(root: string): KilnConfig {
  try {
    const parsed = parseJson(readFileSync(join(root, 'nx.json'), 'utf8'), 'nx.json');
    if (parsed.ok) return readKilnConfig(new Checker(parsed.value), root);
  } catch {
    // no nx.json
  }
  return defaultKilnConfig(root);
}
