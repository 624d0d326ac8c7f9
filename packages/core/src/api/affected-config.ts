/**
 * `affected`'s view of the configuration, wired: the changes .nxignore hides dropped; whether the
 * change reaches project configuration (a file that defines projects, or a config file of nx.json's
 * plugins); the configuration at base and at head (the commit with --head, else the work tree);
 * the safe side for what the plugins could not infer; the view outside git. Loaded by `affected-run.ts`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inferenceGapReasons } from '../affected/inference-gaps.js';
import type { ConfiguredWorkspace } from '../affected/config-changes.js';
import type { ChangedFile, ProjectRef, Reason, Touch } from '../affected/types.js';
import { viewOfGraph, workspaceAtRef, type AffectedGraphView } from '../graph-state/index.js';
import { diagnostic, type Diagnostic } from '../model/index.js';
import type { InferenceGap, PluginConfigMatch, Workspace } from '../workspace/index.js';

/** The changes without the files .nxignore hides (Nx leaves them out of its file map: they touch nothing). */
export async function visibleChanges(root: string, changes: readonly ChangedFile[]): Promise<readonly ChangedFile[]> {
  if (changes.length === 0 || !existsSync(join(root, '.nxignore'))) return changes;
  const { visibleFiles } = await import('../workspace/visible-files.js');
  const text = readFileSync(join(root, '.nxignore'), 'utf8');
  const shown = new Set(visibleFiles([...new Set(changes.flatMap((c) => ('from' in c && c.from ? [c.from, c.path] : [c.path])).concat('.nxignore'))], () => text));
  return changes.filter((c) => shown.has(c.path as never) || ('from' in c && c.from !== undefined && shown.has(c.from as never)));
}

/** Whether a path is a config file of the plugins as the saved graph recorded them. */
export async function pluginConfigTest(configs: readonly PluginConfigMatch[] | undefined): Promise<(path: string) => boolean> {
  if (!configs || configs.length === 0) return () => false;
  const { pluginConfigMatcher } = await import('../workspace/plugins/config.js');
  return pluginConfigMatcher(configs);
}

/**
 * The project configuration at both ends when it may have changed: base's, and head's (the
 * commit with --head, else the work tree's `ws`). `unreadable` when an end cannot be read, or a
 * plugin's inference at base is unknown altogether.
 */
export async function configurationAtEnds(
  root: string,
  base: string | null,
  head: string | null,
  ws: Workspace | undefined,
): Promise<{ base: ConfiguredWorkspace; head: ConfiguredWorkspace } | 'unreadable' | undefined> {
  if (base === null || ws === undefined) return undefined;
  const [atBase, atHead] = await Promise.all([workspaceAtRef(root, base), head === null ? ws : workspaceAtRef(root, head)]);
  if (atBase === undefined || atHead === undefined) return 'unreadable';
  if ([atBase, atHead].some((w) => w.inferenceGaps?.some((g) => g.files === '*'))) return 'unreadable';
  return { base: configured(atBase), head: configured(atHead) };
}

/** The shape `affected/` compares; a project whose plugin-inferred configuration is unknown compares as changed. */
function configured(ws: Workspace): ConfiguredWorkspace {
  const unknown = new Set((ws.inferenceGaps ?? []).flatMap((g) => (g.files === '*' ? [] : g.files)));
  const projects = [...ws.projects.values()].map((p) =>
    p.configFiles.some((f) => unknown.has(f)) || [...unknown].some((f) => f.startsWith(p.root === '' ? '' : `${p.root}/`)) ? { ...p, config: { unknown: [...unknown] } } : p,
  );
  return { projects, ...(ws.nxJson.namedInputs && { namedInputs: ws.nxJson.namedInputs }) };
}

/** The safe side for the plugins' gaps (as the graph recorded them), with a warning for each (code `nx-plugin-failed`). */
export function inferenceGapEffects(gaps: readonly InferenceGap[] | undefined, projects: readonly ProjectRef[], anythingChanged: boolean): { global: Reason[]; touches: Touch[]; diagnostics: Diagnostic[] } {
  if (!gaps || gaps.length === 0) return { global: [], touches: [], diagnostics: [] };
  const diagnostics = gaps.map((g) =>
    diagnostic('nx-plugin-failed', `the Nx plugin ${g.plugin} ${g.files === '*' ? 'did not run' : `failed on ${g.files.join(', ')}`} (${g.message}); kiln takes the safe side for what it would infer.`, {
      severity: 'warning',
      location: { file: g.files === '*' ? 'nx.json' : g.files[0]! },
    }),
  );
  return { ...inferenceGapReasons(gaps, projects, anythingChanged), diagnostics };
}

/** Outside git (only with --files): the workspace and graph read the ordinary way. */
export async function viewWithoutGit(cwd: string): Promise<AffectedGraphView> {
  const [{ loadWorkspace }, { projectGraph }] = await Promise.all([import('./load-workspace.js'), import('./project-graph.js')]);
  const ws = await loadWorkspace(cwd);
  return viewOfGraph(ws, await projectGraph(ws));
}
