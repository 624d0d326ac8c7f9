/**
 * The nodes nx.json's plugins infer, plugin by plugin in nx.json's order, as Nx would get them:
 * each plugin resolved from the workspace (its own node_modules, or a path), its `createNodes`
 * glob matched against the (.nxignore-filtered) files with `include`/`exclude`, and run in its
 * own process (`run.ts`) on the files whose nodes are not cached yet (`cache.ts`). A warm read
 * starts no plugin at all. A plugin that is missing or fails leaves a gap (the files it could not
 * infer from) and a warning naming it; the callers decide the safe side.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import pLimit from 'p-limit';
import type { NxJsonConfiguration } from '@nx/devkit';
import { diagnostic, gitBlobId, sha256, type Diagnostic } from '../../model/index.js';
import type { InferenceGap, InferredNodes, PluginConfigMatch } from '../types.js';
import { openPluginCache } from './cache.js';
import { configFileKey, isLocalPlugin, keyFolders, matchingConfigFiles, pluginEntries, pluginRunKey, type PluginEntry } from './config.js';
import { startPlugin, type PluginOutput, type PluginProcess } from './run.js';

export interface InferenceInput {
  readonly root: string;
  /** The workspace's files after .nxignore, sorted. */
  readonly files: readonly string[];
  readonly nxJson: NxJsonConfiguration | undefined;
  /** Git blob ids of files (by path); the work tree's are computed from content. */
  readonly blobIds: (paths: readonly string[]) => Promise<ReadonlyMap<string, string>>;
  /** False for a workspace at another commit: the cache answers, nothing runs (plugins read the work tree). */
  readonly mayRun: boolean;
}

export interface Inference {
  /** Per plugin, in nx.json order, the nodes per config file. */
  readonly nodes: readonly InferredNodes[];
  readonly gaps: readonly InferenceGap[];
  readonly problems: readonly Diagnostic[];
  /** Each plugin's config-file selection (from its glob, cached or loaded). */
  readonly configs: readonly PluginConfigMatch[];
}

export async function inferNodes(input: InferenceInput): Promise<Inference> {
  const entries = pluginEntries(input.nxJson);
  const limit = pLimit(Math.max(1, Math.min(entries.length, availableParallelism())));
  const done = await Promise.all(entries.map((entry) => limit(() => inferOne(input, entry))));
  return {
    nodes: done.flatMap((d) => (d.nodes ? [d.nodes] : [])),
    gaps: done.flatMap((d) => d.gaps),
    problems: done.flatMap((d) => d.problems),
    configs: done.flatMap((d) => (d.config ? [d.config] : [])),
  };
}

type One = { nodes?: InferredNodes; gaps: InferenceGap[]; problems: Diagnostic[]; config?: PluginConfigMatch };

async function inferOne(input: InferenceInput, entry: PluginEntry): Promise<One> {
  const { root } = input;
  const fail = (message: string, files: readonly string[] | '*'): One => ({
    gaps: [{ plugin: entry.plugin, files, message }],
    problems: [diagnostic('nx-plugin-failed', `the Nx plugin ${entry.plugin} ${message}`, { severity: 'warning', location: { file: 'nx.json' }, hint: hintFor(files) })],
  });
  let path: string;
  try {
    path = createRequire(join(root, 'package.json')).resolve(entry.plugin, { paths: [root] });
  } catch {
    return fail(`is not installed (nx.json lists it; kiln looks for it from ${isLocalPlugin(entry.plugin) ? 'the workspace root' : "the workspace's node_modules"}).`, '*');
  }
  const identity = await pluginIdentity(root, path, input);
  const runKey = pluginRunKey(identity, entry, input.nxJson);
  const cache = openPluginCache(root, sha256(`${entry.plugin}\0${identity}`));
  let proc: PluginProcess | undefined;
  let loaded = false;
  try {
    let glob = cache.glob;
    let name = cache.name ?? entry.plugin;
    if (glob === undefined) {
      if (!input.mayRun) return fail('has not been run on this workspace yet, so its inferred configuration is unknown here.', '*');
      proc = startPlugin(root, entry.plugin);
      const answer = await proc.load();
      loaded = true;
      glob = answer.glob;
      name = answer.name;
      cache.remember(name, glob);
    }
    if (glob === null) return { gaps: [], problems: [] };
    const matched = matchingConfigFiles(input.files, glob, entry);
    const folders = keyFolders(matched);
    const blobs = await input.blobIds(input.files.filter((f) => folders.has(f.slice(0, f.lastIndexOf('/') + 1)) || f === 'tsconfig.base.json' || f === 'tsconfig.json'));
    const keys = new Map(matched.map((f) => [f, configFileKey(runKey, f, blobs)]));
    const misses = matched.filter((f) => cache.get(keys.get(f)!) === undefined);
    const problems: Diagnostic[] = [];
    const gaps: InferenceGap[] = [];
    if (misses.length > 0) {
      if (!input.mayRun) {
        gaps.push({ plugin: name, files: misses, message: 'not cached at this commit' });
      } else {
        proc ??= startPlugin(root, entry.plugin);
        let out: PluginOutput;
        try {
          if (!loaded) await proc.load();
          out = await proc.run(misses, entry.options, input.nxJson, !createNodesIsV2(root));
        } catch (error) {
          // What it inferred before (cached) still stands; only the files it was to read now are unknown.
          out = { results: [], errors: [[null, `could not run: ${(error as Error).message}`]] };
        }
        const failedFiles = new Set<string>();
        for (const [file, message] of out.errors) {
          for (const f of file === null ? misses : [file]) failedFiles.add(f);
          problems.push(
            diagnostic('nx-plugin-failed', `the Nx plugin ${name} failed${file ? ` on ${file}` : ''}: ${message}`, {
              severity: 'warning',
              location: { file: file ?? 'nx.json' },
              hint: hintFor(file ? [file] : misses),
            }),
          );
        }
        if (failedFiles.size > 0) gaps.push({ plugin: name, files: [...failedFiles].sort(), message: 'failed' });
        const given = new Map(out.results.map(([file, result]) => [file, result?.projects ?? {}]));
        // A file the plugin passed over without an error infers nothing: that is an answer too, kept like the others.
        for (const file of misses) if (!failedFiles.has(file)) cache.set(keys.get(file)!, file, given.get(file) ?? {});
      }
    }
    const perFile = matched.flatMap((file) => {
      const projects = cache.get(keys.get(file)!);
      return projects === undefined ? [] : [{ file, projects }];
    });
    cache.save([...keys.values()]);
    const config = { plugin: name, glob, ...(entry.include && { include: entry.include }), ...(entry.exclude && { exclude: entry.exclude }) };
    return { nodes: { plugin: name, files: perFile }, gaps, problems, config };
  } catch (error) {
    return fail(`could not run: ${(error as Error).message}`, '*');
  } finally {
    proc?.close();
  }
}

/** Nx 21 and later call `createNodes` as `createNodesV2`; Nx 20 and before, once per file. */
function createNodesIsV2(root: string): boolean {
  try {
    const pkg = createRequire(join(root, 'package.json')).resolve('nx/package.json', { paths: [root] });
    return Number((JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version.split('.')[0]) >= 21;
  } catch {
    return true;
  }
}

/**
 * What names a plugin's code: `name@version` from its package.json for an installed package; for a
 * plugin inside the workspace, the content of the files in its folder.
 */
async function pluginIdentity(root: string, path: string, input: InferenceInput): Promise<string> {
  const inside = relative(root, path);
  if (!inside.startsWith('..') && !inside.split(/[\\/]/).includes('node_modules')) {
    const dir = dirname(inside).replace(/\\/g, '/');
    const prefix = dir === '.' ? '' : `${dir}/`;
    const own = input.files.filter((f) => f.startsWith(prefix) && (prefix !== '' || !f.includes('/')));
    const ids = await input.blobIds(own);
    return `local ${[...ids]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([p, id]) => `${p} ${id}`)
      .join('\n')}`;
  }
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name) return `${pkg.name}@${pkg.version ?? ''}`;
    } catch {
      // no package.json here: look further up
    }
  }
  return `file ${path} ${gitBlobId(readFileSync(path))}`;
}

function hintFor(files: readonly string[] | '*'): string {
  const where = files === '*' ? 'every project' : `the projects of ${files.slice(0, 3).join(', ')}${files.length > 3 ? ` and ${files.length - 3} more` : ''}`;
  return `kiln leaves out the targets it would infer and treats ${where} as affected by any change. Install it (npm install) or fix it, or remove it from nx.json "plugins".`;
}
