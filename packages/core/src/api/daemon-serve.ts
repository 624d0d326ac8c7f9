/**
 * `kiln daemon` (the server side): the operations the daemon answers, each the same call the CLI
 * makes in its own process, and the paths it watches (git's ignore rules only, `daemon/ignore.ts`:
 * whatever git reports can change an answer, so nothing it reports is ignored).
 */
import { runCheckOperation } from '../daemon/run-check.js';
import { serveDaemon, type DaemonOperation } from '../daemon/server.js';
import { daemonIgnoreRules } from '../daemon/ignore.js';
import type { AffectedOptions } from './affected-types.js';

const operations: Record<string, DaemonOperation> = {
  affected: {
    memo: true,
    run: async (args, cwd, env) => (await import('./affected.js')).affected({ ...(args as Omit<AffectedOptions, 'cwd' | 'env'>), cwd, env }),
  },
  projects: {
    memo: true,
    run: async (_args, cwd) => {
      const [{ loadWorkspace }, { listProjects }] = await Promise.all([import('./load-workspace.js'), import('./projects.js')]);
      return listProjects(await loadWorkspace(cwd));
    },
  },
  graph: {
    memo: true,
    run: async (_args, cwd) => (await (await import('./workspace-graph.js')).loadWorkspaceAndGraph(cwd)).graph,
  },
  // A fingerprint can hold a `{runtime}` command's output, which no file event announces: computed every time.
  hash: { memo: false, run: async (args, cwd) => (await import('./hash.js')).taskHash(cwd, (args as { spec: string }).spec) },
  // What the cache holds is not watched (kiln's own folder): computed every time.
  'why-miss': { memo: false, run: async (args, cwd) => (await import('./why-miss.js')).whyMiss(cwd, (args as { spec: string }).spec) },
  // `kiln run`'s fast path: the run manifest's verdict, kept while the folders it vouches for are quiet.
  'run-check': runCheckOperation(),
};

/** Serves the workspace at `root` until stopped; `log` gets one line per event worth knowing. */
export async function serveWorkspaceDaemon(root: string, version: string, log: (line: string) => void, idleMs: number): Promise<void> {
  await serveDaemon({ root, version, operations, ignoreRules: daemonIgnoreRules(root), idleMs, log });
}
