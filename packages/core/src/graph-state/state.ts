/**
 * The project graph as `affected` needs it, kept between runs in `.kiln/affected-state.json` so a
 * run after a one-file change reads one small file and rescans only the changed sources.
 *
 * The state describes the work tree as "commit `anchor` plus `dirty` files" and holds, per
 * project, its package.json and implicit edges and how many of its files import each project and
 * each external package. A later run knows the work tree as "commit `anchor'` plus changes", so
 * the files that can differ from the state are the two dirty sets plus the commits between the
 * anchors (a tree diff, no work-tree scan). Those sources are rescanned (old imports from the
 * state or git, new ones from disk) and the counts adjusted; a change to any file that shapes the
 * workspace (project.json, package.json, nx.json, tsconfig, pnpm-workspace.yaml, ignore files)
 * rebuilds everything. Building reads every source file once, as `scan/project-graph.ts` does, and
 * produces the same edges (a unit test holds the two together).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { shapesWorkspace } from '../affected/root-files.js';
import { trackedFiles, type FileChange } from '../scm/index.js';
import type { Diagnostic } from '../model/index.js';
import type { Workspace } from '../workspace/index.js';
import type { ImportScan } from '../scan/index.js';
import type { Graph } from './edges.js';
import { digestsOf, loadSavedView, loadState, readText, sameDigests, saveState, saveView, STATE_FILE, type SavedGraphView } from './store.js';
import type { AffectedGraphView, State } from './types.js';
import { viewOf } from './view.js';

// The graph builder, the import scanner and the state's own edge counting load only when the saved view cannot answer alone.
const loadGraph = (): Promise<Graph> => import('../graph/index.js');
const loadEdges = (): Promise<typeof import('./edges.js')> => import('./edges.js');

/**
 * The graph of the work tree, described as commit `anchor` plus `worktree` changes (relative to
 * `anchor`). Reuses or updates the saved state when it can; with `full`, always reads the whole
 * workspace (task level and configuration diffs need every target), still reusing the edges.
 */
export async function affectedGraph(
  root: string,
  anchor: string,
  worktree: readonly FileChange[],
  options: {
    full: boolean;
    saved?: SavedGraphView;
    cold?: ColdBuild;
    tracked?: Promise<readonly string[]>;
    /** The workspace already being read (`readWorkspaceOf` with these changes and `tracked`), for a caller that started it while it waited for something else. */
    workspace?: Promise<Workspace>;
    warn?: (d: Diagnostic) => void;
  },
): Promise<AffectedGraphView> {
  const tracked = (): Promise<readonly string[]> => options.tracked ?? trackedFiles(root);
  const readWorkspaceAt = async (root: string, worktree: readonly FileChange[]): Promise<Workspace> =>
    options.workspace ?? readWholeWorkspace(root, withUntracked(await tracked(), worktree), options.warn);
  const digests = digestsOf(root, worktree);
  // Nothing changed since the last run: the compact view alone answers (a few hundred KB to parse, not the whole state).
  const saved = options.saved ?? loadSavedView(root);
  if (saved.view !== undefined && saved.view.anchor === anchor && sameDigests(saved.view.dirty, digests)) {
    const view = saved.expanded();
    return options.full ? { ...view, workspace: await readWorkspaceAt(root, worktree) } : view;
  }
  const state = options.saved ? options.saved.state() : loadState(root);
  const { build, changedSinceState, dirtyImportsOf, update } = await loadEdges();
  if (state !== undefined) {
    const since = await changedSinceState(root, state, anchor, digests);
    const configOfPlugins = await pluginConfigTest(state.pluginConfigs);
    if (since !== undefined && !since.some((f) => shapesWorkspace(f) || configOfPlugins(f))) {
      const g = await loadGraph();
      const { state: updated, importsChanged } = since.length === 0 ? { state, importsChanged: false } : await update(g, root, state, anchor, since);
      // No rescanned file imports anything else than before (most edits): the graph is the saved
      // view's, so only the view's account of the work tree moves on. The state stays as it was; it
      // still describes its own work tree exactly, and the next run compares against that.
      if (!importsChanged && state.anchor === anchor && saved.view !== undefined && saved.view.stamp === state.stamp) {
        saveView(root, { ...saved.view, anchor, dirty: digests });
        const view = saved.expanded('updated');
        return options.full ? { ...view, workspace: await readWorkspaceAt(root, worktree) } : view;
      }
      const next: State = { ...updated, anchor, dirty: digests, dirtyImports: dirtyImportsOf(g, root, digests) };
      if (since.length > 0 || state.anchor !== anchor || !sameDigests(state.dirty, digests) || saved.view === undefined || saved.view.anchor !== anchor) saveState(root, next);
      const view = viewOf(next, since.length === 0 ? 'reused' : 'updated');
      if (!options.full) return view;
      return { ...view, workspace: await readWorkspaceAt(root, worktree) };
    }
  }
  // Scanning every source file is the slow part: it runs on worker threads while this thread reads
  // the configuration (and, when `startColdBuild` began it, while git status was still running),
  // then this thread joins in.
  const listed = await (options.cold?.tracked ?? tracked());
  const files = withUntracked(listed, worktree);
  const [g, { scanImportTables, startImportScan }] = await Promise.all([loadGraph(), import('../scan/index.js')]);
  const { readWorkspaceWithPlugins } = await import('../workspace/plugins/index.js');
  const scan = options.cold ? await options.cold.scan : startImportScan(root, (await visible(root, files)).filter(g.isScannedSource));
  const read = options.workspace ?? readWorkspaceWithPlugins(root, files, root, options.warn);
  await scan.helpUntil(read);
  const ws = await read;
  scan.help();
  const untracked = options.cold ? scanImportTables(root, (await visible(root, files.slice(listed.length))).filter(g.isScannedSource)) : Promise.resolve([]);
  const scans = [...(await scan.done), ...(await untracked)];
  const built = build(g, ws, scans, anchor, digests, dirtyImportsOf(g, root, digests));
  saveState(root, built);
  return { ...viewOf(built, 'built'), workspace: ws };
}

/** The workspace `affectedGraph` reads with `full` for these changes: started by a caller that has other things to wait for meanwhile. */
export async function readWorkspaceOf(root: string, tracked: readonly string[], worktree: readonly FileChange[], warn?: (d: Diagnostic) => void): Promise<Workspace> {
  return readWholeWorkspace(root, withUntracked(tracked, worktree), warn);
}

/** The whole workspace from its `files`, with nx.json's plugins (loaded lazily: the parsers are only needed on this path). */
async function readWholeWorkspace(root: string, files: readonly string[], warn?: (d: Diagnostic) => void): Promise<Workspace> {
  const { readWorkspaceWithPlugins } = await import('../workspace/plugins/index.js');
  return readWorkspaceWithPlugins(root, files, root, warn);
}

/** The files Nx sees (.nxignore applied): the scan reads no file the workspace hides. */
async function visible(root: string, files: readonly string[]): Promise<string[]> {
  if (!files.includes('.nxignore')) return [...files];
  const { visibleFiles } = await import('../workspace/visible-files.js');
  return [...visibleFiles(files, (p) => readText(root, p))];
}

/** Whether a changed path is a config file of nx.json's plugins as the state recorded them (they infer targets from it). */
async function pluginConfigTest(configs: State['pluginConfigs']): Promise<(path: string) => boolean> {
  if (!configs || configs.length === 0) return () => false;
  const { pluginConfigMatcher } = await import('../workspace/plugins/config.js');
  return pluginConfigMatcher(configs);
}

/** `tracked` (not changed) followed by the files the work tree adds to it. */
function withUntracked(tracked: readonly string[], worktree: readonly FileChange[]): string[] {
  const files = [...tracked];
  const known = new Set<string>();
  for (const c of worktree)
    if (c.status === 'added' || c.status === 'renamed' || c.status === 'copied') {
      if (known.size === 0) for (const f of files) known.add(f);
      if (!known.has(c.path)) {
        known.add(c.path);
        files.push(c.path);
      }
    }
  return files;
}

/** A graph build started before the work tree's changes are known: the tracked files and the scan of their sources. */
export interface ColdBuild {
  readonly tracked: Promise<string[]>;
  readonly scan: Promise<ImportScan>;
}

/**
 * With no saved state at all, the graph will be built from nothing: start listing and scanning the
 * tracked files now, while git status runs (each file is read from the work tree either way; the
 * untracked ones are added once status has named them). `listed`: `git ls-files -z --cached`, when
 * the caller started it already. Undefined when a saved state exists.
 */
export function startColdBuild(root: string, listed?: Promise<string>): ColdBuild | undefined {
  if (existsSync(join(root, STATE_FILE))) return undefined;
  const tracked = trackedFiles(root, listed);
  const scan = (async () => {
    const files = await tracked;
    const [g, { startImportScan }] = await Promise.all([loadGraph(), import('../scan/index.js')]);
    return startImportScan(root, (await visible(root, files)).filter(g.isScannedSource));
  })();
  // Read only if the build happens (not when git fails first): never an unhandled rejection.
  tracked.catch(() => undefined);
  scan.catch(() => undefined);
  return { tracked, scan };
}
