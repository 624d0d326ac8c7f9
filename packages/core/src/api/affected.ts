/**
 * `affected`: the entry point, kept light on purpose. A warm run spends most of its wall time
 * waiting for `git status`, so this module starts it before it loads the rest of the operation
 * (`affected-run.ts`: base and head, the graph, the workspace-wide files); the two overlap.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { baseRefFor } from '../scm/base.js';
import { gitOrThrow } from '../scm/git.js';
import { startWorkingTree } from '../scm/working-changes.js';
import { trace } from '../trace/index.js';
import { requireWorkspaceRoot } from '../workspace/find-root.js';
import type { AffectedOptions, AffectedResult } from './affected-types.js';

export { describeReason, explainChain } from '../affected/closure.js';
export type { Reason } from '../affected/types.js';
export type { AffectedOptions, AffectedResult, AffectedTaskResult } from './affected-types.js';

export async function affected(options: AffectedOptions): Promise<AffectedResult> {
  trace('affected start');
  const root = requireWorkspaceRoot(options.cwd);
  const baseRef = await baseRefFor(root, options.base, options.env ?? process.env);
  // Every run inside git needs the work tree's changes (for the graph, if not for the answer).
  const scan = startWorkingTree(root, [options.head ?? 'HEAD', baseRef]);
  // No saved graph state (graph-state/): the graph will be built from every tracked source file, so list them now too.
  // A fresh clone first looks for a state shared by commit (state-restore.ts), which spares it the full scan; the scan's rev-parse names the commits.
  const shared: string[] = [];
  const commits = scan.place.then((p) => p?.commits);
  const onDisk = existsSync(join(root, '.kiln/affected-state.json'));
  const restored = onDisk
    ? undefined
    : await (await import('./state-restore.js')).restoreForAffected(root, baseRef, options.head, options.env ?? process.env, (w) => shared.push(w), commits);
  const listed = onDisk || restored ? undefined : gitOrThrow(root, ['ls-files', '-z', '--cached']);
  listed?.catch(() => undefined);
  const { runAffected } = await import('./affected-run.js');
  const result = await runAffected(options, { root, baseRef, scan, ...(listed && { listed }), ...(restored && { saved: restored }) });
  return shared.length > 0 ? { ...result, warnings: [...shared, ...result.warnings] } : result;
}
