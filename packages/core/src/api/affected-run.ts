/**
 * `affected`, wired: base and head (scm's one rule), what changed, the graph (graph-state), the
 * workspace-wide files at both ends, then the pure rules of `affected/`. It owns the one policy
 * decision the pure side cannot make: what to do when git cannot answer (`failOpen`).
 * Loaded by the light entry point `affected.ts` once git is running; it never imports that file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
// The parts of `affected/` a project-level run needs, from their own modules: task level
// (`affected/tasks.ts`, which brings the input matcher) loads only with a target.
import { changesOfPaths, changedPaths } from '../affected/files.js';
import { affectedProjects, prepareGraph } from '../affected/project-level.js';
import { definesProjects } from '../affected/root-files.js';
import type { ChangedFile, Reason } from '../affected/types.js';
import { workspaceFilesToRead } from '../affected/workspace-wide.js';
import { affectedGraph, loadSavedView, savedOwners, startColdBuild } from '../graph-state/index.js';
import { diagnostic, formatDiagnostic, KilnError } from '../model/index.js';
import { changesSinceBase, readAtBothEnds, repoRoot, resolveBase } from '../scm/index.js';
import { tracer } from '../trace/index.js';
import { affectedOwners } from './affected-owners.js';
import { taskLevel } from './affected-tasks.js';
import type { AffectedOptions, AffectedResult, AffectedStart } from './affected-types.js';

// The plugins' failures reach the answer as gaps (`inferenceGapEffects`), each with its diagnostic.
const ignoreWarning = (): void => undefined;

/** `affected(options)`, once the entry point has started git. */
export async function runAffected(options: AffectedOptions, start: AffectedStart): Promise<AffectedResult> {
  const { root, scan } = start;
  const trace = tracer('affected');
  trace('loaded');
  // While git works: the graph as the last run saved it (usually all a warm run needs), and what
  // the answer derives from it before knowing the changes; without any saved state, the graph is
  // built from every source file, so that starts too.
  const saved = start.saved ?? loadSavedView(root);
  const savedView = saved.view === undefined ? undefined : saved.expanded();
  const cold = savedView === undefined ? startColdBuild(root, start.listed) : undefined;
  if (savedView !== undefined) prepareGraph(savedView);
  trace('saved view');
  // Usually the one rev-parse the entry point started answers where the repository is and what both refs name.
  const place = await scan.place;
  trace('refs');
  const top = place?.top ?? (await repoRoot(root));
  if (savedView !== undefined && options.owners && top !== undefined) void savedOwners(savedView, top).catch(() => undefined);
  // A view that will not answer alone (an edited file, another base): read the full state now too.
  if (savedView !== undefined && !saved.looksCurrent(place?.commits?.[1])) saved.state();
  const { base, head, warnings, global } = await baseAndHead(root, start.baseRef, options, top !== undefined, place?.commits);
  const given = options.files === undefined ? undefined : changesOfPaths(options.files);
  const since = top === undefined ? undefined : await changesSinceBase(root, { base, head, scan, ...(place?.head && { headCommit: place.head }), diff: given === undefined });
  const config = await import('./affected-config.js');
  const changes: readonly ChangedFile[] = await config.visibleChanges(root, given ?? since?.changes ?? []);
  const tree = since?.workTree;
  trace('changes');
  const paths = changedPaths(changes);
  // A file that defines projects, or one nx.json's plugins infer from, may change project configuration.
  const pluginConfig = await config.pluginConfigTest(savedView?.pluginConfigs);
  const configChanged = paths.some((p) => definesProjects(p) || pluginConfig(p));
  const graphOf = (full: boolean) => (tree ? affectedGraph(root, tree.anchor, tree.changes, { full, saved, ...(cold && { cold }), warn: ignoreWarning }) : config.viewWithoutGit(options.cwd));
  let view = await graphOf(configChanged || options.target !== undefined);
  // Without a saved view, the plugins' config files are known only once the graph is read.
  const lateConfig = !configChanged && paths.some(await config.pluginConfigTest(view.pluginConfigs));
  if (lateConfig && !view.workspace) view = await graphOf(true);
  trace(`graph (${view.source})`);
  const ws = view.workspace;
  const toRead = workspaceFilesToRead(new Set(paths), (f) => existsSync(join(root, f)));
  // Project configuration at base and head when it may have changed: ownership as it was, moved and removed projects.
  const configs = configChanged || lateConfig ? await config.configurationAtEnds(root, base, head, ws) : undefined;
  const gaps = config.inferenceGapEffects(view.inferenceGaps, view.projects, paths.length > 0);
  const level = await affectedProjects({
    graph: view,
    changes,
    global: [...global, ...gaps.global],
    touches: gaps.touches,
    ...(configs !== undefined && { configs }),
    versions: await readAtBothEnds(root, base, head, toRead.files),
    lockfiles: toRead.lockfiles,
    tsconfigFile: view.tsconfigFile ?? (existsSync(join(root, 'tsconfig.base.json')) ? 'tsconfig.base.json' : 'tsconfig.json'),
  });
  trace('touches');
  const tasks = options.target === undefined ? undefined : await taskLevel(ws!, view, options.target, changes, level, warnings);
  const owners = !options.owners ? undefined : level.closure.projects.length > 0 ? await affectedOwners(view, top ?? root, level.closure.projects) : {};
  trace('closure, tasks, owners');
  return {
    base,
    head,
    projects: level.closure.projects,
    reasons: level.reasons,
    chains: level.chains,
    changedFiles: paths,
    // An unreadable lockfile is a warning at its file and line, besides the safe answer.
    warnings: [...warnings, ...gaps.diagnostics.map(formatDiagnostic), ...level.diagnostics.map(formatDiagnostic)],
    diagnostics: [...gaps.diagnostics, ...level.diagnostics],
    ...(tasks && { tasks }),
    ...(owners && { owners }),
    graphSource: view.source,
  };
}

/**
 * Base and head commits by scm's one rule. When git cannot answer, given files still can, and
 * --fail-open marks everything affected, with a warning; otherwise the error stands (exit 2).
 */
async function baseAndHead(root: string, baseRef: string, options: AffectedOptions, inGit: boolean, commits: readonly string[] | undefined) {
  const warnings: string[] = [];
  const global: Reason[] = [];
  try {
    if (!inGit) {
      if (options.files !== undefined) return { base: null, head: null, warnings, global };
      const hint = 'Run kiln affected in a git checkout, pass the changed files with --files a,b, or use --fail-open to treat everything as affected.';
      throw new KilnError(diagnostic('not-a-git-repository', `${root} is not inside a git repository, so kiln cannot tell what changed.`, { hint }));
    }
    const found = await resolveBase(root, { baseRef, ...(options.head !== undefined && { head: options.head }), ...(commits && { commits: [commits[0]!, commits[1]!] as const }) });
    if (!found.ok) throw new KilnError(found.error);
    return { base: found.value.base, head: options.head === undefined ? null : found.value.head, warnings, global };
  } catch (error) {
    if (!(error instanceof KilnError)) throw error;
    if (options.files === undefined) {
      if (!options.failOpen) throw error;
      warnings.push(`${error.message}\n  --fail-open: treating every project as affected.`);
      global.push({ kind: 'global', file: '', detail: `fail-open: ${error.diagnostics[0]?.code ?? 'git-failed'}` });
    }
    return { base: null, head: null, warnings, global };
  }
}
