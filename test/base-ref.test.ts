/**
 * The base ref, end to end: one rule (`--base`, then KILN_BASE, then nx.json's `defaultBase` or
 * its `affected.defaultBase`, then `main`) for `kiln affected`, `kiln run --affected` and
 * `kiln owners check`, in a repository whose main branch is not called `main`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from './helpers/repo.js';

const pkg = (name: string, deps: Record<string, string> = {}) => ({ name, version: '1.0.0', scripts: { build: 'node -e 0' }, dependencies: deps });

let repo: TempRepo;
let trunk: string;
beforeAll(() => {
  repo = createRepo({
    'package.json': { name: 'ws', private: true, workspaces: ['libs/*'] },
    'nx.json': { affected: { defaultBase: 'trunk' } },
    '.gitignore': 'node_modules\n.kiln\n',
    CODEOWNERS: '* @org/all\n/libs/b/ @org/b\n',
    'libs/a/package.json': pkg('a'),
    'libs/a/src/index.ts': 'export const a = 1;\n',
    'libs/b/package.json': pkg('b', { a: '*' }),
    'libs/b/src/index.ts': "import { a } from 'a';\nexport const b = a;\n",
    'libs/c/package.json': pkg('c'),
    'libs/c/src/index.ts': 'export const c = 1;\n',
  });
  repo.git('branch', '-m', 'main', 'trunk');
  trunk = repo.git('rev-parse', 'HEAD').trim();
  repo.git('checkout', '-q', '-b', 'feature');
  repo.commit('change a', { 'libs/a/src/index.ts': 'export const a = 2;\n' });
});
afterAll(() => repo.cleanup());

describe('the base ref from nx.json\'s "affected": {"defaultBase"}', () => {
  it('kiln affected compares with the merge-base with trunk', () => {
    const r = repo.kiln(['affected', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().base).toBe(trunk);
    expect(r.json().projects).toEqual(['a', 'b']);
  });

  it('kiln run --affected runs what changed since trunk', () => {
    const r = repo.kiln(['run', '-t', 'build', '--affected', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().tasks.map((t: { id: string }) => t.id).sort()).toEqual(['a:build', 'b:build']);
  });

  it('kiln owners check compares with the same base', () => {
    const r = repo.kiln(['owners', 'check', '--json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.json().base).toBe(trunk);
    expect(r.json().files).toEqual({ 'libs/a/src/index.ts': ['@org/all'] });
  });

  it('--base and KILN_BASE come first', () => {
    const head = repo.git('rev-parse', 'HEAD').trim();
    expect(repo.kiln(['affected', '--json', '--base', 'HEAD']).json().base).toBe(head);
    expect(repo.kiln(['affected', '--json'], { env: { KILN_BASE: 'HEAD' } }).json().base).toBe(head);
    expect(repo.kiln(['owners', 'check', '--json'], { env: { KILN_BASE: 'HEAD' } }).json().base).toBe(head);
  });

  it('a missing remote base says what to fetch: the branch, not the remote-tracking name', () => {
    const r = repo.kiln(['affected', '--base', 'origin/trunk']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The base ref "origin/trunk" does not name a commit');
    expect(r.stderr).toContain('git fetch origin trunk`');
    const owners = repo.kiln(['owners', 'check', '--base', 'origin/trunk']);
    expect(owners.code).toBe(2);
    expect(owners.stderr).toContain('git fetch origin trunk`');
  });
});
