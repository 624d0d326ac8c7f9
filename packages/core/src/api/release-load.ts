/** Builds the ReleaseContext from the workspace loader and project graph. */
import { diagnostic, KilnError } from '../model/index.js';
import type { ReleaseContext } from './release-context.js';

export async function loadReleaseContext(cwd: string): Promise<ReleaseContext> {
  throw new KilnError(diagnostic('workspace-loader-missing', `cannot read the workspace at ${cwd} yet: the workspace loader is not wired in.`));
}
