/**
 * workspace/plugins: nx.json's inference plugins, run as Nx runs them (`createNodesV2`, and
 * `createNodes` in the form the workspace's Nx version calls it), each in its own process, their
 * nodes cached in `.kiln/plugins/` by plugin, version, options, nx.json and the content of each
 * config file's folder. `readWorkspaceWithPlugins` is the work tree's read (plugins run when the
 * cache lacks something); `inferAtRef` answers from the cache alone for another commit.
 * Edge: processes, files. The merge itself is `buildWorkspace`'s (pure), in Nx's order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NxJsonConfiguration } from '@nx/devkit';
import { gitBlobId, type Diagnostic } from '../../model/index.js';
import { parseJson } from '../json.js';
import { visibleFiles } from '../visible-files.js';
import { readWorkspace } from '../read.js';
import type { Workspace } from '../types.js';
import { pluginEntries } from './config.js';
import { inferNodes, type Inference } from './infer.js';

export { inferNodes, type Inference, type InferenceInput } from './infer.js';
export { pluginConfigMatcher, pluginEntries, matchingConfigFiles, type PluginEntry } from './config.js';

/** nx.json's value, read leniently (the workspace reader reports its problems). */
export function peekNxJson(read: (path: string) => string | undefined): NxJsonConfiguration | undefined {
  const text = read('nx.json');
  if (text === undefined) return undefined;
  const parsed = parseJson(text, 'nx.json');
  return parsed.ok ? (parsed.value.value as NxJsonConfiguration) : undefined;
}

/** Blob ids of work-tree files from their content (a file that cannot be read is left out). */
export function workTreeBlobIds(root: string): (paths: readonly string[]) => Promise<Map<string, string>> {
  return async (paths) => {
    const out = new Map<string, string>();
    for (const p of paths) {
      try {
        out.set(p, gitBlobId(readFileSync(join(root, p))));
      } catch {
        // listed but gone
      }
    }
    return out;
  };
}

/**
 * `readWorkspace` with nx.json's plugins: their nodes merged under package.json and project.json.
 * Warnings about plugins go to `warn` (stderr by default) and into `Workspace.warnings`.
 */
export async function readWorkspaceWithPlugins(root: string, files: readonly string[], cwd: string = root, warn: (d: Diagnostic) => void = stderrWarning): Promise<Workspace> {
  const read = (p: string): string | undefined => {
    try {
      return readFileSync(join(root, p), 'utf8');
    } catch {
      return undefined;
    }
  };
  const nxJson = files.includes('nx.json') ? peekNxJson(read) : undefined;
  if (pluginEntries(nxJson).length === 0) return readWorkspace(root, files, cwd);
  const inference = await inferNodes({ root, files: visibleFiles(files, read), nxJson, blobIds: workTreeBlobIds(root), mayRun: true });
  for (const d of inference.problems) warn(d);
  return readWorkspace(root, files, cwd, asInput(inference));
}

/** The inference as `buildWorkspace` takes it. */
export function asInput(inference: Inference) {
  return { inferred: inference.nodes, inferenceGaps: inference.gaps, inferenceProblems: inference.problems, pluginConfigs: inference.configs };
}

function stderrWarning(d: Diagnostic): void {
  process.stderr.write(`warning ${d.message}${d.hint ? `\n  ${d.hint}` : ''}\n`);
}
