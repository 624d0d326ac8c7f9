/**
 * nx.json `plugins` as Nx reads them (a name, or `{ plugin, options, include, exclude }`), which
 * files a plugin's `createNodes` glob selects (Nx's `findMatchingConfigFiles`: the glob, then
 * `include`, then `exclude`, each with dot files) and the cache key of one matched file. Pure.
 */
import micromatch from 'micromatch';
import type { NxJsonConfiguration } from '@nx/devkit';
import { canonicalJson, sha256 } from '../../model/index.js';
import type { PluginConfigMatch } from '../types.js';

/** One entry of nx.json `plugins`, normalised. */
export interface PluginEntry {
  /** As written: a package name or a path (`./tools/my-plugin`). */
  readonly plugin: string;
  readonly options?: unknown;
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
}

/** The plugins nx.json lists, in its order; malformed entries are left to the validator. */
export function pluginEntries(nxJson: NxJsonConfiguration | undefined): PluginEntry[] {
  const out: PluginEntry[] = [];
  for (const p of (nxJson?.plugins ?? []) as unknown[]) {
    if (typeof p === 'string') out.push({ plugin: p });
    else if (p !== null && typeof p === 'object' && typeof (p as { plugin?: unknown }).plugin === 'string') {
      const { plugin, options, include, exclude } = p as { plugin: string; options?: unknown; include?: string[]; exclude?: string[] };
      out.push({ plugin, ...(options !== undefined && { options }), ...(Array.isArray(include) && { include }), ...(Array.isArray(exclude) && { exclude }) });
    }
  }
  return out;
}

/** Whether nx.json names a plugin by a path inside the workspace rather than a package. */
export const isLocalPlugin = (plugin: string): boolean => plugin.startsWith('./') || plugin.startsWith('../') || plugin.startsWith('/');

/** Nx's include/exclude matcher: later patterns win, a leading `!` negates; empty means `emptyValue`. */
function matcher(patterns: readonly string[] | undefined, emptyValue: boolean): (file: string) => boolean {
  if (!patterns || patterns.length === 0) return () => emptyValue;
  if (!patterns.some((p) => p.startsWith('!'))) return (file) => micromatch.isMatch(file, patterns as string[], { dot: true });
  return (file) => {
    let matched = patterns[0]!.startsWith('!');
    for (const p of patterns) {
      const negated = p.startsWith('!');
      if (micromatch.isMatch(file, negated ? p.slice(1) : p, { dot: true })) matched = !negated;
    }
    return matched;
  };
}

/** The files a plugin's `createNodes` glob selects, after nx.json's `include` and `exclude`. */
export function matchingConfigFiles(files: readonly string[], glob: string, entry: PluginEntry): string[] {
  const isConfig = micromatch.matcher(glob, { dot: true });
  const includes = matcher(entry.include, true);
  const excludes = matcher(entry.exclude, false);
  return files.filter((f) => !f.includes('node_modules/') && isConfig(f) && includes(f) && !excludes(f));
}

/**
 * The identity of a plugin run, apart from the files: the plugin (name and version, or a local
 * plugin's content), its options, include and exclude, and nx.json (every plugin gets it).
 */
export function pluginRunKey(identity: string, entry: PluginEntry, nxJson: unknown): string {
  return sha256(canonicalJson({ identity, options: entry.options ?? null, include: entry.include ?? null, exclude: entry.exclude ?? null, nxJson: nxJson ?? null }));
}

/**
 * The cache key of one matched config file: the run's key, the file, and the content (git blob
 * ids) of every file in its folder (plugins read their siblings: package.json, project.json,
 * tsconfig files) and of the root tsconfigs.
 */
export function configFileKey(runKey: string, file: string, blobs: ReadonlyMap<string, string>): string {
  const dir = file.lastIndexOf('/') < 0 ? '' : file.slice(0, file.lastIndexOf('/') + 1);
  const siblings: [string, string][] = [];
  for (const [path, id] of blobs) {
    const inDir = path.startsWith(dir) && !path.includes('/', dir.length);
    if (inDir || path === 'tsconfig.base.json' || path === 'tsconfig.json') siblings.push([path, id]);
  }
  siblings.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256(canonicalJson({ runKey, file, siblings }));
}

export type { PluginConfigMatch } from '../types.js';

/** Whether a path is a config file of one of the plugins (a change to it may change inferred targets). */
export function pluginConfigMatcher(list: readonly PluginConfigMatch[]): (path: string) => boolean {
  if (list.length === 0) return () => false;
  const tests = list.map(
    (m) => (path: string) =>
      matchingConfigFiles([path], m.glob, { plugin: m.plugin, ...(m.include && { include: m.include }), ...(m.exclude && { exclude: m.exclude }) }).length > 0,
  );
  return (path) => tests.some((t) => t(path));
}

/** The folders whose files key a matched file (its own, and the root's tsconfigs). */
export function keyFolders(files: readonly string[]): Set<string> {
  return new Set(files.map((f) => (f.lastIndexOf('/') < 0 ? '' : f.slice(0, f.lastIndexOf('/') + 1))));
}
