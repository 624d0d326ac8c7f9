/**
 * Running the real nx (pinned in this repository's package.json) in a test repository, for the
 * agreement tests. Nx must be resolvable from the repository, so its node_modules links to ours.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, start, type ProcessRun, type TempRepo } from './repo.js';

export const nxBin = join(repoRoot, 'node_modules/nx/bin/nx.js');

/** No daemon, no cloud, no terminal UI: every nx command starts from the files. */
export const nxEnv = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };

/** Makes nx resolvable from `repo`: `node_modules` links to ours (all of it, or only `nx`). Keep node_modules in .gitignore. */
export function linkNodeModules(repo: TempRepo, only?: 'nx'): void {
  if (only) {
    mkdirSync(join(repo.dir, 'node_modules'), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules', only), join(repo.dir, 'node_modules', only));
  } else symlinkSync(join(repoRoot, 'node_modules'), join(repo.dir, 'node_modules'));
}

/** Runs nx in `repo` without blocking the test worker; `env` is added to the test environment and nxEnv. */
export function runNx(repo: TempRepo, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProcessRun> {
  return start(process.execPath, [nxBin, ...args], { cwd: repo.dir, env: { ...nxEnv, ...env } }).done;
}
