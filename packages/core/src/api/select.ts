/**
 * `-p`/`--projects`, `--exclude` and `--filter` for every command that selects projects: reads
 * what the selection needs (the workspace; the project graph for `...`; for `[REF]`, the projects
 * a change touches directly, by affected's one base rule) and hands it to `select/`.
 */
import { diagnostic, KilnError } from '../model/index.js';
import { isSelecting, planSelection, rangeKey, selectProjects as select, type SelectableProject, type SelectionRequest } from '../select/index.js';
import { requireWorkspaceRoot } from '../workspace/find-root.js';
import { affected } from './affected.js';
import { workspaceAndGraph } from './plan-graph.js';

export type { SelectionRequest } from '../select/index.js';
export { isPlainNames, isSelecting } from '../select/index.js';

export interface SelectOptions {
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly selection: SelectionRequest;
  /** The projects the command chooses from (default: every project): nx.json's release or artifact projects. A selected project outside them is left out. */
  readonly within?: 'release' | 'artifact';
}

export interface Selected {
  /** Sorted; undefined when the request selects nothing (the command's default applies). */
  readonly projects: readonly string[] | undefined;
  /** Patterns that matched no project, for stderr. */
  readonly warnings: readonly string[];
}

/** The projects `options.selection` names. Unknown names and unreadable filters throw (exit 2, "did you mean"). */
export async function selectProjects(options: SelectOptions): Promise<Selected> {
  if (!isSelecting(options.selection)) return { projects: undefined, warnings: [] };
  const plan = planSelection(options.selection);
  if (plan.errors.length > 0) throw new KilnError(plan.errors.map((e) => diagnostic('invalid-option', e.message, { hint: FILTER_HINT })));
  const root = requireWorkspaceRoot(options.cwd);
  const { ws, dependencies } = await workspaceAndGraph(root, options.cwd);
  const projects: SelectableProject[] = [...ws.projects.values()].map((p) => ({ name: p.name, root: p.root, tags: p.tags ?? [] }));
  const changed = new Map<string, ReadonlySet<string>>();
  for (const range of plan.ranges) {
    const r = await affected({ cwd: options.cwd, base: range.base, ...(range.head && { head: range.head }), ...(options.env && { env: options.env }) });
    // turbo's [REF] is the projects the change touches itself; `...[REF]` adds their dependents.
    changed.set(rangeKey(range), new Set(r.projects.filter((p) => r.reasons[p]!.some((reason) => reason.kind !== 'dependency'))));
  }
  const universe = options.within && (await chooseFrom(options.cwd, options.within));
  const result = select(options.selection, { projects, dependencies: new Map(Object.entries(dependencies)), changed }, universe);
  if (result.errors.length > 0)
    throw new KilnError(
      result.errors.map((e) =>
        diagnostic(e.kind === 'unknown-project' ? 'unknown-project' : 'invalid-option', e.message, {
          hint: 'Run `kiln projects` to see every project; docs/selection.md lists the patterns.',
        }),
      ),
    );
  return { projects: result.projects, warnings: result.warnings.map((w) => w.message) };
}

async function chooseFrom(cwd: string, within: 'release' | 'artifact'): Promise<readonly string[]> {
  const { loadReleaseContext, releaseConfig } = await import('./release-load.js');
  const config = releaseConfig(await loadReleaseContext(cwd));
  return within === 'release' ? config.release.projects : config.artifacts.projects;
}

const FILTER_HINT = 'Filters: name, name..., ...name, ./dir, {dir}, [REF], !filter (docs/selection.md).';
