/** End to end: `kiln projects` on real git repositories, with the built binary. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from './helpers/repo.js';

describe('kiln projects', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo({
      'nx.json': '{\n  // comments are fine\n  "targetDefaults": { "build": { "dependsOn": ["^build"] } }\n}\n',
      'package.json': { name: 'acme', private: true, workspaces: ['packages/*', 'services/*'] },
      'packages/connection/package.json': { name: '@acme/connection', version: '1.0.0', main: 'index.js', scripts: { build: 'tsc' } },
      'services/invoice/package.json': { name: 'invoice', version: '1.0.0', private: true },
      'services/invoice/project.json': { name: 'invoice-svc', tags: ['team:billing'] },
      'services/pricing/project.json': { projectType: 'application', targets: { build: { command: 'python -m build' } } },
    });
  });
  afterAll(() => repo.cleanup());

  it('--json lists name, root, type, tags and owners, sorted by name', () => {
    const r = repo.kiln(['projects', '--json']);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual([
      { name: '@acme/connection', root: 'packages/connection', type: 'lib', tags: ['npm:public'], owners: [] },
      { name: 'invoice-svc', root: 'services/invoice', type: 'app', tags: ['npm:private', 'team:billing'], owners: [] },
      { name: 'pricing', root: 'services/pricing', type: 'app', tags: [], owners: [] },
    ]);
  });

  it('human output is one line per project', () => {
    const r = repo.kiln(['projects']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    expect(r.stdout).toMatch(/^invoice-svc\s+app\s+services\/invoice\s+npm:private team:billing$/m);
  });

  it('works from a subdirectory', () => {
    const r = repo.kiln(['projects', '--json'], { cwd: `${repo.dir}/services/invoice` });
    expect(r.json<{ name: string }[]>().map((p) => p.name)).toEqual(['@acme/connection', 'invoice-svc', 'pricing']);
  });

  it('an unknown project name suggests the nearest', () => {
    const r = repo.kiln(['projects', 'invoice-sv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no project is named "invoice-sv". Did you mean "invoice-svc"?');
  });

  it('an unknown flag suggests the nearest', () => {
    const r = repo.kiln(['projects', '--jsn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option "--jsn". Did you mean "--json"?');
  });

  it('--help describes the command', () => {
    const r = repo.kiln(['projects', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: kiln projects');
  });
});

describe('kiln projects: configuration errors exit 2 with file:line:column', () => {
  it('invalid JSON in a project.json', () => {
    const repo = createRepo({ 'package.json': { name: 'r', workspaces: ['apps/*'] }, 'apps/a/project.json': '{\n  "name": "a",\n  "tags": ["x"\n}\n' });
    try {
      const r = repo.kiln(['projects', '--json']);
      expect(r.code).toBe(2);
      expect(r.json().error).toMatchObject({ file: 'apps/a/project.json', line: 4, column: 1, message: expect.stringContaining('invalid JSON') });
      expect(r.stderr).toMatch(/apps\/a\/project\.json:4:1: invalid JSON: expected ","/);
      expect(r.stderr).toContain('Fix the syntax of apps/a/project.json at line 4, column 1.');
    } finally {
      repo.cleanup();
    }
  });

  it('two projects with one name, and a wrong type, reported together', () => {
    const repo = createRepo({
      'package.json': { name: 'r', workspaces: ['a/*', 'b/*'] },
      'a/x/package.json': { name: 'same' },
      'b/y/package.json': { name: 'same' },
      'nx.json': '{ "targetDefaults": { "build": { "dependsOn": "^build" } } }',
    });
    try {
      const r = repo.kiln(['projects']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('nx.json:1:34: "targetDefaults.build.dependsOn" must be an array, not string "^build"');
      expect(r.stderr).toContain('2 projects are named "same": a/x and b/y.');
      expect(r.stderr).toContain('rename one');
    } finally {
      repo.cleanup();
    }
  });

  it('invalid YAML in pnpm-workspace.yaml', () => {
    const repo = createRepo({ 'package.json': { name: 'r' }, 'pnpm-workspace.yaml': 'packages:\n  - "apps/*\n' });
    try {
      const r = repo.kiln(['projects']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/pnpm-workspace\.yaml:\d+:\d+: invalid YAML/);
    } finally {
      repo.cleanup();
    }
  });
});

describe('kiln projects: workspace forms', () => {
  it('a pnpm workspace without nx.json', () => {
    const repo = createRepo({
      'package.json': { name: 'root', private: true },
      'pnpm-workspace.yaml': "packages:\n  - 'apps/*'\n  - 'libs/**'\n",
      'pnpm-lock.yaml': "lockfileVersion: '9.0'\n",
      'apps/web/package.json': { name: 'web', scripts: { build: 'vite build' } },
      'libs/ui/button/package.json': { name: '@acme/button', main: 'index.js', dependencies: { '@acme/theme': 'workspace:^' } },
      'libs/theme/package.json': { name: '@acme/theme', exports: './index.js' },
    });
    try {
      const r = repo.kiln(['projects', '--json']);
      expect(r.code).toBe(0);
      expect(r.json<{ name: string; root: string }[]>().map((p) => [p.name, p.root])).toEqual([
        ['@acme/button', 'libs/ui/button'],
        ['@acme/theme', 'libs/theme'],
        ['web', 'apps/web'],
      ]);
    } finally {
      repo.cleanup();
    }
  });

  it('a yarn workspace ({packages}) outside git, found from a subdirectory', () => {
    const repo = createRepo(
      {
        'package.json': { name: 'root', private: true, workspaces: { packages: ['modules/*'] } },
        'modules/one/package.json': { name: 'one' },
        'modules/two/package.json': { name: 'two' },
      },
      { init: false },
    );
    try {
      const r = repo.kiln(['projects', '--json'], { cwd: `${repo.dir}/modules/one` });
      expect(r.code).toBe(0);
      expect(r.json<{ name: string }[]>().map((p) => p.name)).toEqual(['one', 'two']);
    } finally {
      repo.cleanup();
    }
  });

  it('no workspace at all is an error that says what to do', () => {
    const repo = createRepo({ 'README.md': 'nothing here' }, { init: false });
    try {
      const r = repo.kiln(['projects']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('no workspace found');
      expect(r.stderr).toContain('Run kiln inside a workspace');
    } finally {
      repo.cleanup();
    }
  });
});
