/**
 * `kiln run`'s fast path as an operation: whether the request's last answer still holds (see
 * `run-manifest/`), with the verdict traced. The CLI loads this before anything else of the
 * engine, so it imports only the run manifest and the tracer.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkRunManifest, type FastRunCheck, type ManifestRequest } from '../run-manifest/index.js';
import { trace } from '../trace/index.js';
import { findWorkspaceRoot } from '../workspace/find-root.js';

export type { FastRunCheck, ManifestRequest, ManifestTask, PendingSnapshot } from '../run-manifest/index.js';

/** The run manifest's check for `req`; never throws (any doubt is a reason to take the normal path). */
export async function checkFastPath(req: ManifestRequest): Promise<FastRunCheck> {
  const started = performance.now();
  const check = await checkRunManifest(req);
  trace(`fast path ${check.ok ? 'taken (run manifest matched)' : `not taken: ${check.reason}`} ${Math.round(performance.now() - started)}ms`);
  return check;
}

/** Whether kiln has run in the workspace of `cwd` (its `.kiln` folder exists): where it has not (a fresh clone), no daemon runs and no manifest is kept. */
export function kilnHasRunHere(cwd: string): boolean {
  const root = findWorkspaceRoot(cwd);
  return root !== undefined && existsSync(join(root, '.kiln'));
}
