/**
 * graph-state's files in `.kiln`: reading and writing the state and its compact view (atomically;
 * a file that cannot be written only costs the next run its speed), and the one content digest
 * its stamps and dirty-file records use.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../model/index.js';
import type { FileChange } from '../scm/index.js';
import type { AffectedGraphView, SavedView, State } from './types.js';
import { compactView, expandView, VIEW_VERSION } from './view.js';

/** Bump to drop every saved state (its shape or the meaning of its counts changed). */
export const STATE_VERSION = 3;
export const STATE_FILE = '.kiln/affected-state.json';
export const VIEW_FILE = '.kiln/affected-view.json';

/**
 * The digest of kiln's own saved files and of dirty work-tree files: SHA-1, which is short and
 * fast, is enough for content this process wrote or will compare against itself (it is never a
 * cache key, which is `model`'s SHA-256).
 */
export function contentDigest(...parts: readonly (string | Uint8Array)[]): string {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** A digest of each changed file's current content (null: deleted). */
export function digestsOf(root: string, worktree: readonly FileChange[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const c of [...worktree].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    for (const p of 'from' in c ? [c.from, c.path] : [c.path]) {
      if (p in out) continue;
      const text = readText(root, p);
      out[p] = text === undefined ? null : contentDigest(text);
    }
  }
  return out;
}

/** The compact view saved by the last run, read ahead of need (while git works); `expanded` is computed once. */
export interface SavedGraphView {
  readonly view: SavedView | undefined;
  /** The view (with `source` as given, `reused` by default); its parts are built once and shared. */
  expanded(source?: AffectedGraphView['source']): AffectedGraphView;
  /** The full saved state, read once (on first call), for when the view alone will not do. */
  state(): State | undefined;
  /**
   * Whether the view still describes the work tree as far as can be told before git answers: the
   * files it holds as changed have the digests it recorded, and `anchor` (when known) is its own.
   */
  looksCurrent(anchor?: string): boolean;
}

/** Reads the saved compact view now, so a caller can do it while it waits for git. */
export function loadSavedView(root: string): SavedGraphView {
  return savedGraphView(root, loadView(root));
}

/** The saved view `view` (read from `.kiln`, or just written there), its state read from `.kiln` when asked for (unless `written`, the one just written). */
export function savedGraphView(root: string, view: SavedView | undefined, written?: State): SavedGraphView {
  let expanded: ((source: AffectedGraphView['source']) => AffectedGraphView) | undefined;
  let state: { value: State | undefined } | undefined = written && { value: written };
  return {
    view,
    expanded: (source = 'reused') => (expanded ??= expandView(view!))(source),
    state: () => (state ??= { value: loadState(root) }).value,
    looksCurrent: (anchor) =>
      view !== undefined &&
      (anchor === undefined || anchor === view.anchor) &&
      Object.entries(view.dirty).every(([p, d]) => {
        const text = readText(root, p);
        return (text === undefined ? null : contentDigest(text)) === d;
      }),
  };
}

function loadView(root: string): SavedView | undefined {
  try {
    const v = JSON.parse(readFileSync(join(root, VIEW_FILE), 'utf8')) as SavedView;
    return v.version === VIEW_VERSION && v.root === root ? v : undefined;
  } catch {
    return undefined;
  }
}

export function loadState(root: string): State | undefined {
  try {
    const s = JSON.parse(readFileSync(join(root, STATE_FILE), 'utf8')) as State;
    return s.version === STATE_VERSION && s.root === root ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Written atomically; a state that cannot be written only costs the next run its speed. Returns
 * the compact view saved beside it, and the state as `loadState` would read it back.
 */
export function saveState(root: string, unstamped: State): { readonly view: SavedView; readonly state: State } {
  // The stamp is a digest of the rest, so equal states carry equal stamps and the files stay deterministic.
  const { stamp: _, ...rest } = unstamped;
  // The scanning threads claim files in whatever order they get to them: counts go out sorted.
  const sorted = { ...rest, importEdges: sortedCounts(rest.importEdges), importExternal: sortedCounts(rest.importExternal) };
  const body = JSON.stringify(sorted);
  const stamp = contentDigest(body);
  writeKilnFile(root, STATE_FILE, () => `{"stamp":${JSON.stringify(stamp)},${body.slice(1)}`);
  const view = compactView({ ...unstamped, stamp });
  writeKilnFile(root, VIEW_FILE, () => JSON.stringify(view));
  return { view, state: { stamp, ...sorted } };
}

function sortedCounts(counts: Record<string, Record<string, number>>): Record<string, Record<string, number>> {
  const byName = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0);
  return Object.fromEntries(
    Object.entries(counts)
      .sort(byName)
      .map(([k, v]) => [k, Object.fromEntries(Object.entries(v).sort(byName))]),
  );
}

/** The view alone, for a work tree whose graph is still the one the saved state (same stamp) describes. */
export function saveView(root: string, view: SavedView): void {
  writeKilnFile(root, VIEW_FILE, () => JSON.stringify(view));
}

/** Written atomically; a file that cannot be written only costs the next run its speed. */
function writeKilnFile(root: string, file: string, text: () => string): void {
  try {
    const dir = join(root, '.kiln');
    mkdirSync(dir, { recursive: true });
    // kiln's own files are never part of the work tree git reports.
    writeIfMissing(join(dir, '.gitignore'), '*\n');
    const tmp = join(dir, `affected-state.${process.pid}.tmp`);
    writeFileSync(tmp, text());
    renameSync(tmp, join(root, file));
  } catch (error) {
    if (error instanceof KilnError) throw error;
  }
}

function writeIfMissing(path: string, text: string): void {
  try {
    writeFileSync(path, text, { flag: 'wx' });
  } catch {
    // exists
  }
}

export function sameDigests(a: Record<string, string | null>, b: Record<string, string | null>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in b && a[k] === b[k]);
}

export function readText(root: string, path: string): string | undefined {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return undefined;
  }
}
