import { canonicalJson } from '../model/index.js';
import type { Fingerprint } from './fingerprint.js';

export type ChangeKind = 'added' | 'removed' | 'changed';

/** One reason two fingerprints differ; together they explain a cache miss exactly. */
export type FingerprintChange =
  | { readonly kind: 'version'; readonly previous: number; readonly current: number }
  | { readonly kind: 'file'; readonly path: string; readonly change: ChangeKind }
  | { readonly kind: 'dependency'; readonly task: string; readonly change: ChangeKind; readonly previous?: string; readonly current?: string }
  | { readonly kind: 'project-files'; readonly project: string; readonly change: ChangeKind }
  | { readonly kind: 'env'; readonly name: string; readonly change: ChangeKind }
  | { readonly kind: 'runtime'; readonly command: string; readonly change: ChangeKind }
  | { readonly kind: 'external'; readonly package: string; readonly change: ChangeKind; readonly previous?: string; readonly current?: string }
  | { readonly kind: 'target'; readonly field: string; readonly previous?: unknown; readonly current?: unknown }
  | { readonly kind: 'root'; readonly previous: string; readonly current: string };

/** Every difference between a previous and a current fingerprint, in a stable order. */
export function diffFingerprints(previous: Fingerprint, current: Fingerprint): FingerprintChange[] {
  const out: FingerprintChange[] = [];
  if (previous.version !== current.version) out.push({ kind: 'version', previous: previous.version, current: current.version });
  if (previous.root !== current.root) out.push({ kind: 'root', previous: previous.root, current: current.root });
  for (const field of diffValues(previous.target, current.target, '')) out.push({ kind: 'target', ...field });
  for (const [path, change] of diffMaps(previous.files, current.files)) out.push({ kind: 'file', path, change });
  for (const [task, change] of diffMaps(previous.dependencies, current.dependencies))
    out.push({ kind: 'dependency', task, change, ...withValues(previous.dependencies[task], current.dependencies[task]) });
  for (const [project, change] of diffMaps(previous.projectFiles, current.projectFiles)) out.push({ kind: 'project-files', project, change });
  for (const [name, change] of diffMaps(previous.env, current.env)) out.push({ kind: 'env', name, change });
  for (const [command, change] of diffMaps(previous.runtime, current.runtime)) out.push({ kind: 'runtime', command, change });
  for (const [pkg, change] of diffMaps(previous.external, current.external))
    out.push({ kind: 'external', package: pkg, change, ...withValues(previous.external[pkg], current.external[pkg]) });
  return out;
}

function withValues(previous: string | undefined, current: string | undefined): { previous?: string; current?: string } {
  return { ...(previous !== undefined && { previous }), ...(current !== undefined && { current }) };
}

function diffMaps(a: Readonly<Record<string, unknown>> = {}, b: Readonly<Record<string, unknown>> = {}): [string, ChangeKind][] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const out: [string, ChangeKind][] = [];
  for (const k of keys) {
    if (!(k in a)) out.push([k, 'added']);
    else if (!(k in b)) out.push([k, 'removed']);
    else if (a[k] !== b[k]) out.push([k, 'changed']);
  }
  return out;
}

/** Differences between two JSON values, as dotted field paths (`options.outputPath`). */
function diffValues(a: unknown, b: unknown, path: string): { field: string; previous?: unknown; current?: unknown }[] {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffValues(a[k], b[k], path ? `${path}.${k}` : k));
  }
  if (canonicalJson(a ?? null) === canonicalJson(b ?? null)) return [];
  return [{ field: path || '(target)', ...(a !== undefined && { previous: a }), ...(b !== undefined && { current: b }) }];
}
