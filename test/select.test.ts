/**
 * Project selection through the binary, in every command that selects: Nx's patterns (-p,
 * --exclude), turbo's filters (--filter), their errors and warnings; and the Nx and turbo flag
 * names kiln accepts or answers. The forms themselves are unit-tested in packages/core/src/select;
 * their agreement with real nx and turbo is select-agreement-slow.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from './helpers/repo.js';
import { selectWorkspace } from './helpers/select-workspace.js';

let repo: TempRepo;
beforeAll(() => {
  repo = createRepo(selectWorkspace());
  repo.git('checkout', '-q', '-b', 'feature');
  repo.commit('change ui', { 'libs/ui/src/index.js': 'export const name = "ui"; // changed\n' });
});
afterAll(() => repo?.cleanup());

const names = (args: string[]): string[] => {
  const r = repo.kiln([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.json<{ name: string }[]>().map((p) => p.name);
};
const taskIds = (args: string[]): string[] => {
  const r = repo.kiln(['run', '-t', 'build', ...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r
    .json<{ tasks: { id: string }[] }>()
    .tasks.map((t) => t.id)
    .sort();
};

describe('kiln projects', () => {
  it('takes patterns as arguments and with -p, --exclude and --filter', () => {
    expect(names(['projects', 'app-*', 'tag:type:service'])).toEqual(['@org/worker', 'api', 'app-admin', 'app-web', 'app-web-e2e']);
    expect(names(['projects', '-p', 'tag:scope:*', '--exclude', 'tag:type:e2e,libs/**'])).toEqual(['@org/worker', 'app-admin', 'app-web']);
    expect(names(['projects', '--filter', '...^ui', '--filter', '!./apps/*-e2e'])).toEqual(['app-admin', 'app-web', 'shared-ui-kit']);
    expect(names(['projects', '-F', '[main]'])).toEqual(['ui']);
    expect(names(['projects', '-p', 'tag:type:app', '--filter', '...[main]'])).toEqual(['app-admin', 'app-web']);
  });

  it('makes an unknown name an error with the nearest name, exit 2, also in JSON', () => {
    const r = repo.kiln(['projects', '-p', 'app-wbe', '--json']);
    expect(r.code).toBe(2);
    expect(r.json()).toMatchObject({ error: { code: 'unknown-project', message: 'no project is named "app-wbe". Did you mean "app-web"?' } });
    expect(repo.kiln(['projects', '--exclude', 'apii']).stderr).toContain('Did you mean "api"?');
  });

  it('warns when a pattern matches nothing, and lists what the others match', () => {
    const r = repo.kiln(['projects', '-p', 'tag:nope', '-p', 'ui', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('--projects "tag:nope" matched no project.');
    expect(r.json<{ name: string }[]>().map((p) => p.name)).toEqual(['ui']);
  });

  it('says which filter it cannot read', () => {
    const r = repo.kiln(['projects', '--filter', '...', '--json']);
    expect(r.code).toBe(2);
    expect(r.json()).toMatchObject({ error: { code: 'invalid-option', message: expect.stringContaining('--filter "..."') } });
  });
});

describe('kiln run', () => {
  it('runs the selected projects, with what their tasks depend on', () => {
    expect(taskIds(['-p', 'tag:type:lib', '--exclude', 'shared-*'])).toEqual(['@org/utils:build', 'ui:build']);
    expect(taskIds(['--filter', 'app-web...'])).toEqual(['@org/utils:build', 'app-web:build', 'ui:build']);
    // Nx's word match: `utils` names no project, but is a word of two names.
    expect(taskIds(['-p', 'utils'])).toEqual(['@org/utils:build', 'utils_legacy:build']);
  });

  it('restores a repeated pattern from the cache', () => {
    taskIds(['-p', 'services/**']);
    const r = repo.kiln(['run', '-t', 'build', '-p', 'services/**', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ tasks: { id: string; cache: string }[] }>().tasks.map((t) => [t.id, t.cache])).toEqual([
      ['@org/utils:build', 'local'],
      ['api:build', 'local'],
      ['@org/worker:build', 'local'],
    ]);
  });

  it('runs nothing when the selection is empty, with the warning', () => {
    const r = repo.kiln(['run', '-t', 'build', '-p', 'tag:nope', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('matched no project');
    expect(r.json()).toEqual({ tasks: [] });
  });
});

describe('kiln affected and kiln graph', () => {
  it('affected keeps the selected projects and their tasks', () => {
    const r = repo.kiln(['affected', '--files', 'libs/utils/src/index.js', '-p', 'app-*', '-t', 'build', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = r.json<{ projects: string[]; tasks: string[]; reasons: Record<string, unknown> }>();
    expect(j.projects).toEqual(['app-admin', 'app-web', 'app-web-e2e']);
    expect(j.tasks).toEqual(['app-admin:build', 'app-web-e2e:build', 'app-web:build']);
    expect(Object.keys(j.reasons).sort()).toEqual(j.projects);
  });

  it('graph keeps the selected projects and the edges between them', () => {
    const r = repo.kiln(['graph', '-p', 'tag:type:lib', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const g = r.json<{ nodes: Record<string, unknown>; dependencies: Record<string, { target: string }[]> }>();
    expect(Object.keys(g.nodes).sort()).toEqual(['@org/utils', 'shared-ui-kit', 'ui']);
    expect(Object.fromEntries(Object.entries(g.dependencies).map(([k, v]) => [k, v.map((e) => e.target)]))).toEqual({
      '@org/utils': [],
      'shared-ui-kit': ['ui'],
      ui: ['@org/utils'],
    });
  });
});

describe("Nx's and turbo's flag names", () => {
  it('accepts the ones that mean what kiln means', () => {
    const r = repo.kiln(['run', '-t', 'build', '-p', 'api', '--skip-nx-cache', '--concurrency', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ tasks: { cache: string }[] }>().tasks.map((t) => t.cache)).toEqual(['miss', 'miss']);
    expect(repo.kiln(['run', '-t', 'build', '-p', 'api', '--force', '--json']).json<{ tasks: { cache: string }[] }>().tasks[0]?.cache).toBe('miss');
  });

  it("answers the others with kiln's name, exit 2", () => {
    const r = repo.kiln(['run', '-t', 'build', '--no-cache', '--json']);
    expect(r.code).toBe(2);
    expect(r.json()).toMatchObject({ error: { code: 'usage', message: expect.stringContaining('kiln\'s is "--skip-cache"') } });
    expect(repo.kiln(['run', '-t', 'build', '--concurency', '2']).stderr).toContain(
      'Did you mean "--concurrency"? --concurrency is Nx\'s or turbo\'s name: kiln\'s is "--parallel".',
    );
    // A typo is answered only with a name this command takes: no Nx or turbo name it has no equivalent for.
    const bogus = repo.kiln(['cache', 'stats', '--bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('unknown option "--bogus".');
    expect(bogus.stderr).not.toContain('--focus');
    expect(repo.kiln(['projects', '--exlude', 'ui']).stderr).toContain('Did you mean "--exclude"?');
    expect(repo.kiln(['affected', '--all']).stderr).toContain('kiln selects every project unless given -p or --filter');
  });
});
