/**
 * The affected state shared by commit (graph-state/shared.ts), wired: the stores a workspace has
 * (its cache folder's `states/`, then the remote cache when one is configured), and `kiln ci state
 * save|load` for saving after a build on the main branch or moving a state by file. A fresh
 * clone's restore of a state is `state-restore.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCacheFolder, markCacheFolder } from '../cache/index.js';
import { adoptSharedState, affectedGraph, exportState, folderStateStore, readSharedState, remoteStateStore, sharedStateKey, type StateStore } from '../graph-state/index.js';
import { diagnostic, KilnError } from '../model/index.js';
import { repoRoot, resolveCommit, workingTreeChanges } from '../scm/index.js';
import { requireWorkspaceRoot } from '../workspace/find-root.js';
import { openRemoteClient, remoteCacheSettings } from '../remote-cache/index.js';
import { affectedOwners } from './affected-owners.js';
import { kilnConfig } from './kiln-settings.js';

export { STATE_FILE } from '../graph-state/store.js';

/**
 * The stores of the workspace at `root`, nearest first: the cache folder's states/, then the remote
 * cache when one is set up. `config`: nx.json's `"kiln"` settings, when the caller read them already.
 */
export function stateStores(root: string, env: Readonly<Record<string, string | undefined>>, warn: (line: string) => void, config = kilnConfig(root)): StateStore[] {
  const stores: StateStore[] = [];
  const folder = checkCacheFolder(root, config.cacheDirectory);
  if (folder.status !== 'refused' && folder.status !== 'unusable')
    stores.push(folderStateStore(join(config.cacheDirectory, 'states'), `the cache folder's states/`, () => markCacheFolder(config.cacheDirectory)));
  const remote = remoteCacheSettings(config.remoteCache, env);
  if (remote.status === 'invalid') throw new KilnError(remote.diagnostic);
  if (remote.status === 'on') stores.push(remoteStateStore(openRemoteClient(remote.settings, warn)));
  return stores;
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
  const view = await affectedGraph(root, head, [], { full: false });
  // Every project's owners, to go with the state (best effort: a state without them only costs a fresh clone their computing).
  const top = await repoRoot(root);
  if (top !== undefined) await affectedOwners(view, top, view.projects.map((p) => p.name)).catch(() => undefined);
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
  adoptSharedState(root, shared);
  return { commit };
}

