import { describe, expect, it } from 'vitest';
import { buildWorkspace, workspacePatterns, workspacesMatcher } from './projects.js';
import type { Workspace } from './types.js';

type Tree = Record<string, string | object>;

function load(tree: Tree) {
  const texts = new Map(Object.entries(tree).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v, null, 2)]));
  return buildWorkspace({ root: '/ws', files: [...texts.keys()], read: (p) => texts.get(p) });
}

function ok(tree: Tree): Workspace {
  const r = load(tree);
  if (!r.ok) throw new Error(r.error.map((d) => `${d.location?.file}:${d.location?.line}:${d.location?.column} ${d.message}`).join('\n'));
  return r.value;
}

function problems(tree: Tree) {
  const r = load(tree);
  if (r.ok) throw new Error('expected problems');
  return r.error;
}

const names = (ws: Workspace) => [...ws.projects.keys()];

describe('which package.json files are projects', () => {
  it('npm workspaces as an array; packages outside them are not projects', () => {
    const ws = ok({
      'package.json': { name: 'root', workspaces: ['packages/*'] },
      'packages/a/package.json': { name: '@acme/a' },
      'fixtures/b/package.json': { name: 'not-a-project' },
      'node_modules/x/package.json': { name: 'x' },
    });
    expect(names(ws)).toEqual(['@acme/a']);
    expect(ws.projects.get('@acme/a' as never)?.root).toBe('packages/a');
  });

  it('yarn workspaces as {packages: [...]}, and ./ prefixes', () => {
    const ws = ok({
      'package.json': { name: 'root', workspaces: { packages: ['./libs/**'] } },
      'libs/x/package.json': { name: 'x' },
      'libs/deep/y/package.json': { name: 'y' },
    });
    expect(names(ws)).toEqual(['x', 'y']);
  });

  it('pnpm-workspace.yaml, with a negative pattern', () => {
    const ws = ok({
      'package.json': { name: 'root' },
      'pnpm-workspace.yaml': "packages:\n  - 'apps/*'\n  - 'libs/*'\n  - '!libs/skip'\n",
      'apps/web/package.json': { name: 'web' },
      'libs/ui/package.json': { name: 'ui' },
      'libs/skip/package.json': { name: 'skip' },
    });
    expect(names(ws)).toEqual(['ui', 'web']);
    expect(ws.packageManager).toBe('pnpm');
  });

  it('a package.json beside a project.json is a project even outside the workspaces', () => {
    const ws = ok({
      'package.json': { name: 'root' },
      'tools/gen/package.json': { name: 'gen-pkg' },
      'tools/gen/project.json': {},
    });
    expect(names(ws)).toEqual(['gen-pkg']);
  });

  it('the root package.json is a project when it has an `nx` field', () => {
    const ws = ok({ 'package.json': { name: 'root', nx: {}, workspaces: ['packages/*'] }, 'packages/a/package.json': { name: 'a' } });
    expect(names(ws)).toEqual(['a', 'root']);
    expect(ws.projects.get('root' as never)?.root).toBe('');
    expect(ws.projects.get('root' as never)?.config.root).toBe('.');
  });

  it('lerna.json packages (by default packages/*)', () => {
    const ws = ok({ 'package.json': { name: 'root' }, 'lerna.json': { version: '1.0.0' }, 'packages/a/package.json': { name: 'a' }, 'other/b/package.json': { name: 'b' } });
    expect(names(ws)).toEqual(['a']);
  });

  it('.nxignore hides projects and files', () => {
    const ws = ok({
      '.nxignore': 'packages/legacy\n*.generated.ts\n',
      'package.json': { name: 'root', workspaces: ['packages/*'] },
      'packages/a/package.json': { name: 'a' },
      'packages/a/src/x.generated.ts': '',
      'packages/a/src/x.ts': '',
      'packages/legacy/package.json': { name: 'legacy' },
    });
    expect(names(ws)).toEqual(['a']);
    expect(ws.files.filter((f) => f.endsWith('.ts'))).toEqual(['packages/a/src/x.ts']);
  });

  it('works with no nx.json and no root package.json at all', () => {
    const ws = ok({ 'apps/api/project.json': { targets: { build: { command: 'make' } } } });
    expect(names(ws)).toEqual(['api']);
    expect(ws.nxJson).toEqual({});
  });
});

describe('names, as Nx derives them', () => {
  it('project.json name, else the sibling package.json name, else the directory (lowercased)', () => {
    const ws = ok({
      'package.json': { name: 'root', workspaces: ['libs/*'] },
      'libs/named/project.json': { name: 'from-project-json' },
      'libs/named/package.json': { name: 'from-package-json' },
      'libs/pkg/project.json': {},
      'libs/pkg/package.json': { name: '@acme/pkg' },
      'libs/My-Dir/project.json': {},
      'libs/nameless/package.json': { version: '1.0.0' },
    });
    expect(names(ws)).toEqual(['@acme/pkg', 'from-project-json', 'my-dir', 'nameless']);
  });

  it('two projects with one name: an error naming both roots', () => {
    const list = problems({
      'package.json': { name: 'root', workspaces: ['a/*', 'b/*'] },
      'a/x/package.json': { name: 'same' },
      'b/y/project.json': { name: 'same' },
    });
    expect(list).toHaveLength(1);
    expect(list[0]!.code).toBe('duplicate-project-name');
    expect(list[0]!.message).toContain('a/x');
    expect(list[0]!.message).toContain('b/y');
  });
});

describe('errors point at file:line:column and are all collected', () => {
  it('invalid JSON', () => {
    const list = problems({ 'nx.json': '{\n  "targetDefaults": {\n    "build": { "cache": true, }\n  ' });
    expect(list[0]!.code).toBe('invalid-json');
    expect(list[0]!.location?.file).toBe('nx.json');
    expect(list[0]!.location?.line).toBe(4);
  });

  it('comments and trailing commas are allowed, as Nx allows them', () => {
    const ws = ok({ 'apps/a/project.json': '{\n  // the app\n  "name": "a", /* block */\n  "tags": ["x",],\n}\n' });
    expect(ws.projects.get('a' as never)?.tags).toEqual(['x']);
  });

  it('wrong types: one diagnostic per field, located at the field', () => {
    const list = problems({
      'apps/a/project.json': '{\n  "name": "a",\n  "tags": "backend",\n  "targets": {\n    "build": { "cache": "yes" }\n  }\n}\n',
      'libs/b/project.json': '{ "implicitDependencies": [1] }',
    });
    expect(list.map((d) => [d.location?.file, d.location?.line, d.location?.column])).toEqual([
      ['apps/a/project.json', 3, 3],
      ['apps/a/project.json', 5, 16],
      ['libs/b/project.json', 1, 3],
    ]);
    expect(list[0]!.message).toBe('"tags" must be an array of strings, not string "backend"');
    expect(list[1]!.message).toContain('"targets.build.cache" must be true or false');
  });

  it('invalid YAML in pnpm-workspace.yaml', () => {
    const list = problems({ 'package.json': { name: 'r' }, 'pnpm-workspace.yaml': 'packages:\n  - "apps/*\n' });
    expect(list[0]!.code).toBe('invalid-yaml');
    expect(list[0]!.location?.file).toBe('pnpm-workspace.yaml');
    expect(list[0]!.location?.line).toBeGreaterThanOrEqual(2);
  });

  it('workspaces of the wrong type', () => {
    const list = problems({ 'package.json': '{"name": "r", "workspaces": "packages/*"}' });
    expect(list[0]!.message).toContain('"workspaces" must be an array of globs');
    expect(list[0]!.location).toMatchObject({ file: 'package.json', line: 1, column: 15 });
  });
});

describe('targets', () => {
  it('package.json scripts become nx:run-script targets; includedScripts limits them; nx.targets merge over them', () => {
    const ws = ok({
      'package.json': { name: 'root', workspaces: ['p/*'] },
      'p/a/package.json': { name: 'a', scripts: { build: 'tsc', test: 'vitest', lint: 'eslint' }, nx: { includedScripts: ['build', 'test'], targets: { build: { outputs: ['{projectRoot}/dist'] } } } },
    });
    const t = ws.projects.get('a' as never)!.targets;
    expect(Object.keys(t).sort()).toEqual(['build', 'test']);
    expect(t.build).toMatchObject({ executor: 'nx:run-script', options: { script: 'build' }, outputs: ['{projectRoot}/dist'], metadata: { scriptContent: 'tsc', runCommand: 'npm run build' } });
  });

  it('`command` shorthand becomes nx:run-commands', () => {
    const ws = ok({ 'a/project.json': { targets: { build: { command: 'make all' } } } });
    expect(ws.projects.get('a' as never)!.targets.build).toMatchObject({ executor: 'nx:run-commands', options: { command: 'make all' } });
  });

  it('targetDefaults merge by target name, by executor (which wins), and by glob; the target keeps what it sets', () => {
    const ws = ok({
      'nx.json': {
        targetDefaults: {
          build: { dependsOn: ['^build'], cache: true, options: { mode: 'prod', extra: 1 } },
          'nx:run-commands': { cache: false, inputs: ['default'] },
          'e2e-*': { dependsOn: ['build'] },
        },
      },
      'package.json': { name: 'root', workspaces: ['p/*'] },
      'p/a/package.json': { name: 'a', scripts: { build: 'tsc' } },
      'p/b/project.json': { name: 'b', targets: { build: { command: 'make', options: { mode: 'dev' } }, 'e2e-ci': { command: 'run' } } },
    });
    expect(ws.projects.get('a' as never)!.targets.build).toMatchObject({ executor: 'nx:run-script', dependsOn: ['^build'], cache: true, options: { script: 'build', mode: 'prod', extra: 1 } });
    const b = ws.projects.get('b' as never)!.targets;
    expect(b.build).toMatchObject({ executor: 'nx:run-commands', cache: false, inputs: ['default'], options: { command: 'make', mode: 'dev' } });
    expect(b.build!.dependsOn).toBeUndefined();
    expect(b['e2e-ci']).toMatchObject({ executor: 'nx:run-commands', cache: false });
  });

  it('a project.json target that runs something else replaces the script of the same name', () => {
    const ws = ok({ 'a/package.json': { name: 'a', scripts: { build: 'tsc', test: 'vitest' } }, 'a/project.json': { targets: { build: { command: 'make' } } } });
    const t = ws.projects.get('a' as never)!.targets;
    expect(t.build).toMatchObject({ executor: 'nx:run-commands', options: { command: 'make' } });
    expect(t.build!.options.script).toBeUndefined();
    expect(t.test).toMatchObject({ executor: 'nx:run-script' });
  });

  it('a target with only dependsOn becomes nx:noop; one with nothing is dropped', () => {
    const ws = ok({ 'a/project.json': { targets: { build: { command: 'true' }, all: { dependsOn: ['build'] }, empty: {} } } });
    const t = ws.projects.get('a' as never)!.targets;
    expect(t.all?.executor).toBe('nx:noop');
    expect(t.empty).toBeUndefined();
  });

  it('both executor and command is an error', () => {
    const list = problems({ 'a/project.json': { targets: { build: { executor: 'nx:run-commands', command: 'x' } } } });
    expect(list[0]!.message).toContain('has both "executor" and "command"');
  });
});

describe('tags and types', () => {
  it('package.json projects get npm:public/npm:private and npm:keyword tags, then nx.tags and project.json tags', () => {
    const ws = ok({
      'package.json': { name: 'root', workspaces: ['p/*'] },
      'p/a/package.json': { name: 'a', private: true, keywords: ['ui'], nx: { tags: ['scope:web'] } },
      'p/a/project.json': { tags: ['type:lib', 'scope:web'] },
    });
    expect(ws.projects.get('a' as never)!.tags).toEqual(['npm:private', 'npm:ui', 'scope:web', 'type:lib']);
  });

  it('type: projectType wins; a package with main/exports is a lib, without is an app; e2e by name', () => {
    const ws = ok({
      'package.json': { name: 'root', workspaces: ['p/*'] },
      'p/lib/package.json': { name: 'lib', main: 'index.js' },
      'p/app/package.json': { name: 'app' },
      'p/web-e2e/project.json': { projectType: 'application' },
      'p/tsl/project.json': {},
      'p/tsl/tsconfig.lib.json': '{}',
      'p/typed/project.json': { projectType: 'library' },
    });
    const type = (n: string) => ws.projects.get(n as never)!.type;
    expect([type('lib'), type('app'), type('web-e2e'), type('tsl'), type('typed')]).toEqual(['lib', 'app', 'e2e', 'lib', 'lib']);
  });
});

describe('root tsconfig paths', () => {
  it('reads tsconfig.base.json before tsconfig.json, with baseUrl', () => {
    const ws = ok({
      'tsconfig.base.json': '{ "compilerOptions": { "baseUrl": ".", "paths": { "@acme/*": ["libs/*/src"] } } }',
      'tsconfig.json': '{ "compilerOptions": { "paths": { "x": ["y"] } } }',
      'libs/a/project.json': {},
    });
    expect(ws.tsconfigPaths).toEqual({ file: 'tsconfig.base.json', base: '', paths: { '@acme/*': ['libs/*/src'] } });
  });
});

describe('workspace patterns, as Nx matches them', () => {
  it('normalises globs to package.json paths and drops ./', () => {
    expect(workspacePatterns({ workspaces: ['./packages/*', 'apps/web/', 'tools/x/package.json'] }, { packages: ['!packages/skip'] })).toEqual([
      'packages/*/package.json',
      'apps/web/package.json',
      'tools/x/package.json',
      '!packages/skip/package.json',
    ]);
  });

  it('only exclusions mean every package.json but those', () => {
    const match = workspacesMatcher(['!legacy/**/package.json']);
    expect(match('a/b/package.json')).toBe(true);
    expect(match('legacy/old/package.json')).toBe(false);
  });

  it('no patterns match nothing', () => {
    expect(workspacesMatcher([])('packages/a/package.json')).toBe(false);
  });
});
