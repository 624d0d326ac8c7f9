/** The settings under `"kiln"` in nx.json that the task runner reads (cache folder, size, restore mode). */
import { diagnostic, KilnError } from '../model/index.js';
import { resolve } from 'node:path';
import type { Workspace } from '../workspace/index.js';

export interface RunnerConfig {
  /** Absolute cache directory; nx.json `kiln.cacheDirectory` (relative to the workspace), default `.kiln/cache`. */
  readonly cacheDirectory: string;
  /** nx.json `kiln.cacheMaxSize`: bytes, or a string like `"5GB"`, `"500MB"`; default 10 GB. */
  readonly cacheMaxSize: number;
  /** nx.json `kiln.restoreMode`: `"link"` (hard links to the cache's copies, default) or `"copy"`. */
  readonly restoreMode: 'link' | 'copy';
}

export function runnerConfig(ws: Workspace): RunnerConfig {
  const kiln = ((ws.nxJson as { kiln?: unknown }).kiln ?? {}) as Record<string, unknown>;
  const dir = typeof kiln.cacheDirectory === 'string' ? kiln.cacheDirectory : '.kiln/cache';
  const mode = kiln.restoreMode ?? 'link';
  if (mode !== 'link' && mode !== 'copy')
    throw new KilnError(diagnostic('invalid-config', `nx.json kiln.restoreMode must be "link" or "copy", not ${JSON.stringify(mode)}.`, { location: { file: 'nx.json' } }));
  return { cacheDirectory: resolve(ws.root, dir), cacheMaxSize: parseSize(kiln.cacheMaxSize) ?? 10 * 1024 ** 3, restoreMode: mode };
}

function parseSize(v: unknown): number | undefined {
  if (typeof v === 'number' && v > 0) return v;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(v);
  if (!m) throw new KilnError(diagnostic('invalid-config', `nx.json kiln.cacheMaxSize "${v}" is not a size.`, { location: { file: 'nx.json' }, hint: 'Write bytes, or a number with KB, MB, GB or TB, e.g. "5GB".' }));
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 }[(m[2] ?? 'b').toLowerCase() as 'b']!;
  return Math.round(Number(m[1]) * unit);
}
