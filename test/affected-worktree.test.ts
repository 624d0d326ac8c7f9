/**
 * `kiln affected` and the work tree, end to end: what `git status` (with git's untracked cache)
 * plus the committed changes since base must add up to, exactly. One repository, reset between
 * steps; every answer is also checked against a run without kiln's saved state.
 */
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type FileTree, type TempRepo } from './helpers/repo.js';

const pkg = (name: string, deps: Record<string, string> = {}) => ({ name, version: '1.0.0', dependencies: deps });
const workspace: FileTree = {
  'package.json': { name: 'ws', private: true, workspaces: ['libs/*'] },
  'nx.json': {},
  '.gitignore': 'node_modules\ndist\n',
  'libs/core/package.json': pkg('@ws/core'),
  'libs/core/src/index.ts': 'export const core = 1;\n',
  'libs/api/package.json': pkg('@ws/api', { '@ws/core': '*' }),
  'libs/api/src/index.ts': "import { core } from '@ws/core';\nexport const api = core;\n",
  'libs/docs/package.json': pkg('@ws/docs'),
  'libs/docs/src/index.ts': 'export const docs = 1;\n',
};

let r: TempRepo;
beforeAll(() => {
  r = createRepo(workspace);
  r.git('checkout', '-q', '-b', 'feature');
  r.commit('feature', { 'libs/docs/src/index.ts': 'export const docs = 2;\n' });
});
afterAll(() => r.cleanup());

/** Back to the feature branch's HEAD, nothing changed or untracked. */
function reset(): void {
  r.git('reset', '-q', '--hard');
  r.git('clean', '-fdq');
}
/** `kiln affected --json --base main`, warm (saved state) and cold (none): both must agree. */
function affected(env?: NodeJS.ProcessEnv): { projects: string[]; reasons: Record<string, { kind: string; file?: string }[]> } {
  const run = () => {
    const out = r.kiln(['affected', '--json', '--base', 'main'], env ? { env } : {});
    expect(out.code, out.stderr).toBe(0);
    return out.json();
  };
  const warm = run();
  rmSync(join(r.dir, '.kiln'), { recursive: true, force: true });
  expect(run()).toEqual(warm);
  return warm;
}
const hasUntrackedCache = () => readFileSync(join(r.dir, '.git/index')).includes('UNTR');

describe('kiln affected: the work tree', () => {
  it('an untracked file inside a new untracked directory counts, by its own path', () => {
    reset();
    r.write({ 'libs/core/src/new/deeper/util.ts': 'export const util = 1;\n', 'libs/core/dist/out.js': 'ignored\n' });
    const out = affected();
    expect(out.projects).toEqual(['@ws/api', '@ws/core', '@ws/docs']);
    expect(out.reasons['@ws/core']).toEqual([{ kind: 'file', file: 'libs/core/src/new/deeper/util.ts' }]);
  });

  it('a rename in the work tree counts at both paths', () => {
    reset();
    renameSync(join(r.dir, 'libs/core/src/index.ts'), join(r.dir, 'libs/api/src/moved.ts'));
    const out = affected();
    expect(out.reasons['@ws/core']).toEqual([{ kind: 'file', file: 'libs/core/src/index.ts' }]);
    expect(out.reasons['@ws/api']).toContainEqual({ kind: 'file', file: 'libs/api/src/moved.ts' });
  });

  it('a change committed since base and undone in the work tree affects nothing', () => {
    reset();
    expect(affected().projects).toEqual(['@ws/docs']);
    r.write({ 'libs/docs/src/index.ts': 'export const docs = 1;\n' }); // as on main
    expect(affected().projects).toEqual([]);
    r.write({ 'libs/docs/src/index.ts': 'export const docs = 3;\n' });
    expect(affected().projects).toEqual(['@ws/docs']);
  });

  it("uses git's untracked cache only where the repository turned it on, and writes it as git status would", () => {
    reset();
    r.write({ 'libs/core/src/new/a.ts': 'export {};\n' });
    expect(affected().projects).toEqual(['@ws/api', '@ws/core', '@ws/docs']);
    expect(hasUntrackedCache()).toBe(false);
    r.git('config', 'core.untrackedCache', 'true');
    expect(affected().projects).toEqual(['@ws/api', '@ws/core', '@ws/docs']);
    expect(hasUntrackedCache()).toBe(true);
    // With the cache in place, a new untracked file in a known directory still counts.
    r.write({ 'libs/docs/src/b.ts': 'export {};\n' });
    expect(affected().reasons['@ws/docs']).toEqual([
      { kind: 'file', file: 'libs/docs/src/b.ts' },
      { kind: 'file', file: 'libs/docs/src/index.ts' },
    ]);
    // GIT_OPTIONAL_LOCKS=0 in the environment: git leaves the index alone.
    r.git('config', 'core.untrackedCache', 'false');
    r.git('status', '--porcelain');
    r.git('config', 'core.untrackedCache', 'true');
    expect(hasUntrackedCache()).toBe(false);
    expect(affected({ GIT_OPTIONAL_LOCKS: '0' }).projects).toEqual(['@ws/api', '@ws/core', '@ws/docs']);
    expect(hasUntrackedCache()).toBe(false);
    r.git('config', '--unset', 'core.untrackedCache');
  });
});
