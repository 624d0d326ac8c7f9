/**
 * Task ids whose target holds a colon (`build:prod`, a common package.json script name): `kiln
 * affected -t` names the same tasks `kiln run -t` runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from './helpers/repo.js';

let repo: TempRepo;
beforeAll(() => {
  repo = createRepo({
    'package.json': { name: 'ws', private: true, workspaces: ['libs/*'] },
    'nx.json': {},
    '.gitignore': 'node_modules\n.kiln\n',
    'libs/a/package.json': { name: 'a', version: '1.0.0', scripts: { 'build:prod': 'node -e 0', build: 'node -e 0' } },
    'libs/a/src/index.ts': 'export const a = 1;\n',
    'libs/b/package.json': { name: 'b', version: '1.0.0', scripts: { 'build:prod': 'node -e 0' } },
    'libs/b/src/index.ts': 'export const b = 1;\n',
  });
  repo.write({ 'libs/a/src/index.ts': 'export const a = 2;\n' });
});
afterAll(() => repo.cleanup());

describe('a target named build:prod', () => {
  it('kiln affected -t build:prod lists a:build:prod', () => {
    const r = repo.kiln(['affected', '-t', 'build:prod', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().projects).toEqual(['a']);
    expect(r.json().tasks).toEqual(['a:build:prod']);
    expect(Object.keys(r.json().taskReasons)).toEqual(['a:build:prod']);
  });

  it('and kiln run -t build:prod runs the same task', () => {
    const r = repo.kiln(['run', '-t', 'build:prod', '-p', 'a', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().tasks.map((t: { id: string }) => t.id)).toEqual(['a:build:prod']);
  });
});
