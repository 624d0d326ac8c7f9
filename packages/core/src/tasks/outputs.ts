import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import micromatch from 'micromatch';
import { linkLeadsOut } from '../cache/index.js';
import { taskOptions, type RunnableTask } from './runnable.js';

/** A character that makes an output declaration a glob, when the declaration itself (not a filled-in value) holds it. */
const GLOB_CHAR = /[*?[\]{}()!+@]/;

/** One `/`-separated segment of an output: its text, and whether the declaration wrote glob syntax into it. */
interface Segment {
  readonly text: string;
  /** The glob form: the declaration's own characters as written, filled-in values escaped. */
  readonly pattern: string;
  readonly glob: boolean;
}

/**
 * The files a task produced, repository-relative: its `outputs` with `{projectRoot}`,
 * `{workspaceRoot}`, `{projectName}` and `{options.x}` filled in; a directory stands for every file
 * and symbolic link below it. Symbolic links (to files or to folders) are outputs themselves, never
 * followed; directories are not outputs (the cache stores what is in them).
 *
 * An output is a path, not a pattern: a project folder or a file named `a(1)` or `x[2]` is that
 * folder or file. Only glob syntax written in the declaration itself (`dist/*.js`) is a glob, and
 * only when no file has the declared name. `warn` (once per task: pass it to one call) hears of
 * outputs kiln does not keep: declared outside the workspace, links leading out of it, FIFOs,
 * sockets and devices.
 */
export async function expandOutputs(root: string, t: RunnableTask, warn?: (message: string) => void): Promise<string[]> {
  const positive: Segment[][] = [];
  const negated: string[] = [];
  const opts = taskOptions(t);
  const dropped = (raw: string, why: string): void => warn?.(`output "${raw}" of ${t.project.name}:${t.target} is not cached: ${why}`);
  for (const raw of t.config.outputs ?? []) {
    const neg = raw.startsWith('!');
    const segments = fill(neg ? raw.slice(1) : raw, t, opts);
    if (segments === 'unset') continue; // Nx drops an output whose option is unset
    if (segments === 'outside') {
      if (!neg) dropped(raw, 'it is outside the workspace');
      continue;
    }
    if (segments.length === 0) continue;
    if (neg) negated.push(segments.map((s) => s.pattern).join('/'));
    else positive.push(segments);
  }
  const { default: fg } = await import('fast-glob');
  const found = new Map<string, Entry>();
  for (const segments of positive) {
    const literal = segments.map((s) => s.text).join('/');
    // lstat: an output that is a symbolic link to a folder is that link, not what it leads to.
    const st = await lstat(join(root, literal)).catch(() => undefined);
    if (st && !st.isDirectory()) found.set(literal, { path: literal, kind: kindOf(st) });
    else if (st || segments.some((s) => s.glob)) {
      // Walk from the longest plain folder: fast-glob never sees a filled-in name as a pattern there.
      const first = st ? segments.length : segments.findIndex((s) => s.glob);
      const base = segments.slice(0, first).map((s) => s.text).join('/');
      const rest = st ? '**' : segments.slice(first).map((s) => s.pattern).join('/');
      // Not `onlyFiles`: fast-glob takes it as "regular files", which drops symbolic links.
      const entries = await fg(rest, { cwd: join(root, base), dot: true, onlyFiles: false, objectMode: true, followSymbolicLinks: false }).catch(() => []);
      for (const e of entries) {
        if (e.dirent.isDirectory()) continue;
        const path = base === '' ? e.path : `${base}/${e.path}`;
        found.set(path, { path, kind: kindOf(e.dirent) });
      }
    }
  }
  const excluded = (path: string): boolean => negated.length > 0 && ancestry(path).some((p) => micromatch.isMatch(p, negated, { dot: true }));
  const kept: string[] = [];
  for (const e of [...found.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    if (excluded(e.path)) continue;
    if (e.kind === 'other') {
      dropped(e.path, 'it is not a regular file, a folder or a symbolic link (a FIFO, a socket, a device)');
      continue;
    }
    if (e.kind === 'link') {
      const link = await readlink(join(root, e.path)).catch(() => undefined);
      if (link === undefined) continue;
      if (linkLeadsOut(e.path, link)) {
        dropped(e.path, `it is a symbolic link leading out of the workspace (to "${link}")`);
        continue;
      }
    }
    kept.push(e.path);
  }
  return kept;
}

interface Entry {
  readonly path: string;
  readonly kind: 'file' | 'link' | 'other';
}

function kindOf(st: { isFile(): boolean; isSymbolicLink(): boolean }): Entry['kind'] {
  return st.isSymbolicLink() ? 'link' : st.isFile() ? 'file' : 'other';
}

/** `a/b/c`, `a/b`, `a`: a negated folder excludes what is below it, as fast-glob's `ignore` did. */
function ancestry(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, parts.length - i).join('/'));
}

/**
 * The outputs a task declares, filled in as `expandOutputs` fills them, as patterns (nothing read
 * from disk): what a watch leaves out, so a build never triggers itself. Negated ones, ones whose
 * option is unset and ones outside the workspace are not among them.
 */
export function declaredOutputs(t: RunnableTask): string[] {
  const opts = taskOptions(t);
  const declared: string[] = [];
  for (const raw of t.config.outputs ?? []) {
    if (raw.startsWith('!')) continue;
    const segments = fill(raw, t, opts);
    if (segments !== 'unset' && segments !== 'outside' && segments.length > 0) declared.push(segments.map((s) => s.pattern).join('/'));
  }
  return declared;
}

/**
 * An output declaration with its placeholders filled in, as normalised repository-path segments:
 * 'unset' when an `{options.x}` it names is not set, 'outside' when it leaves the workspace.
 */
function fill(declared: string, t: RunnableTask, opts: Readonly<Record<string, unknown>>): Segment[] | 'unset' | 'outside' {
  // Pieces of text, each either written in the declaration or a filled-in value.
  const pieces: { text: string; value: boolean }[] = [];
  const placeholder = /\{(projectRoot|workspaceRoot|projectName|options\.[^}]+)\}(\/?)/g;
  let at = 0;
  let missing = false;
  for (const m of declared.matchAll(placeholder)) {
    pieces.push({ text: declared.slice(at, m.index), value: false });
    at = m.index + m[0].length;
    const name = m[1]!;
    if (name === 'workspaceRoot') {
      if (m.index !== 0) pieces.push({ text: '/', value: false }); // Nx: `{workspaceRoot}/x` is `x`
      continue;
    }
    let value: string;
    if (name === 'projectRoot') value = t.project.root || '.';
    else if (name === 'projectName') value = t.project.name;
    else {
      const v = name.slice('options.'.length).split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), opts);
      if (v === undefined) missing = true;
      value = String(v);
    }
    pieces.push({ text: value, value: true }, { text: m[2]!, value: false });
  }
  pieces.push({ text: declared.slice(at), value: false });
  if (missing) return 'unset';
  // Split into segments, keeping per character whether the declaration wrote it.
  const segments: Segment[] = [];
  let text = '';
  let pattern = '';
  let glob = false;
  let absolute = false;
  const close = (): 'outside' | undefined => {
    if (text === '..') {
      if (segments.pop() === undefined) return 'outside';
    } else if (text !== '' && text !== '.') segments.push({ text, pattern, glob });
    text = pattern = '';
    glob = false;
    return undefined;
  };
  let first = true;
  for (const piece of pieces) {
    for (const ch of piece.text) {
      if (ch === '/' || (ch === '\\' && !piece.value)) {
        if (first && text === '') absolute = true;
        if (close() === 'outside') return 'outside';
      } else {
        text += ch;
        const special = GLOB_CHAR.test(ch) || ch === '\\' || ch === '|';
        pattern += piece.value && special ? `\\${ch}` : ch;
        if (!piece.value && GLOB_CHAR.test(ch)) glob = true;
      }
      first = false;
    }
  }
  if (close() === 'outside' || absolute || /^[A-Za-z]:$/.test(segments[0]?.text ?? '')) return 'outside';
  return segments;
}
