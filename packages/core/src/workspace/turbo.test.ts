import { describe, expect, it } from 'vitest';
import { createTaskGraph } from '../tasks/graph.js';
import { buildWorkspace } from './projects.js';
import type { TargetConfiguration, Workspace } from './types.js';

type Tree = Record<string, string | object>;

function load(tree: Tree) {
  const texts = new Map(Object.entries(tree).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v, null, 2)]));
  return buildWorkspace({ root: '/ws', files: [...texts.keys()].sort(), read: (p) => texts.get(p) });
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

const target = (ws: Workspace, project: string, name: string): TargetConfiguration | undefined => ws.projects.get(project as never)?.targets[name];

/** Three packages: app → lib → base, each with build and test scripts (lib also lint, base also dev). */
function repo(turbo: object, extra: Tree = {}): Tree {
  const pkg = (name: string, deps: string[], scripts: string[]) => ({
    name,
    version: '1.0.0',
    scripts: Object.fromEntries(scripts.map((s) => [s, `echo ${s}`])),
    dependencies: Object.fromEntries(deps.map((d) => [d, '*'])),
  });
  return {
    'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
    'turbo.json': turbo,
    'packages/app/package.json': pkg('app', ['lib'], ['build', 'test']),
    'packages/lib/package.json': pkg('lib', ['base'], ['build', 'test', 'lint']),
    'packages/base/package.json': pkg('base', [], ['build', 'test', 'dev']),
    ...extra,
  };
}

describe('turbo.json tasks become targets', () => {
  it('dependsOn, inputs, outputs, env and the global keys, in kiln (Nx) terms', () => {
    const ws = ok(
      repo({
        globalDependencies: ['tsconfig.json', '!.env.local'],
        globalEnv: ['CI'],
        tasks: {
          build: {
            dependsOn: ['^build'],
            inputs: ['$TURBO_DEFAULT$', '!README.md', '$TURBO_ROOT$/shared/config.js', './extra/**'],
            outputs: ['dist/**', '!dist/cache/**'],
            env: ['API_*', '!API_SECRET'],
          },
          test: { dependsOn: ['build', 'lib#lint'] },
        },
      }),
    );
    const build = target(ws, 'app', 'build')!;
    expect(build.executor).toBe('nx:run-script');
    expect(build.dependsOn).toEqual([{ target: 'build', dependencies: true }]);
    expect(build.inputs).toEqual([
      '{projectRoot}/**/*',
      '!{projectRoot}/README.md',
      '{workspaceRoot}/shared/config.js',
      '{projectRoot}/extra/**',
      '{workspaceRoot}/packages/app/package.json',
      '{workspaceRoot}/tsconfig.json',
      '!{workspaceRoot}/.env.local',
      { env: 'CI' },
      { env: 'API_*' },
      { env: '!API_SECRET' },
    ]);
    expect(build.outputs).toEqual(['{projectRoot}/dist/**', '!{projectRoot}/dist/cache/**']);
    // turbo caches every task unless told not to.
    expect(build.cache).toBe(true);
    expect(target(ws, 'app', 'test')!.dependsOn).toEqual([
      { target: 'build', projects: 'self' },
      { target: 'lint', projects: ['lib'] },
    ]);
    // Without `inputs`: every file of the package, and its package.json whatever the globs say.
    expect(target(ws, 'app', 'test')!.inputs).toEqual([
      '{projectRoot}/**/*',
      '{workspaceRoot}/packages/app/package.json',
      '{workspaceRoot}/tsconfig.json',
      '!{workspaceRoot}/.env.local',
      { env: 'CI' },
    ]);
  });

  it('the task graph follows turbo: ^build through dependencies, build before test in the same package, pkg#task', () => {
    const ws = ok(repo({ tasks: { build: { dependsOn: ['^build'] }, test: { dependsOn: ['build', 'lib#lint'] }, lint: {} } }));
    const projects = Object.fromEntries([...ws.projects].map(([n, p]) => [n, { root: p.root, targets: p.targets }]));
    const graph = createTaskGraph({ projects, dependencies: { app: ['lib'], lib: ['base'], base: [] } }, { targets: ['test'], projects: ['app'] });
    if (!graph.ok) throw new Error(JSON.stringify(graph.error));
    expect(graph.value.dependencies).toEqual({
      'app:build': ['lib:build'],
      'app:test': ['app:build', 'lib:lint'],
      'base:build': [],
      'lib:build': ['base:build'],
      'lib:lint': [],
    });
  });

  it('cache: false and persistent tasks are not cached; persistent ones are continuous', () => {
    const ws = ok(repo({ tasks: { build: { cache: false }, dev: { persistent: true, interactive: true } } }));
    expect(target(ws, 'app', 'build')!.cache).toBe(false);
    expect(target(ws, 'base', 'dev')).toMatchObject({ cache: false, continuous: true, metadata: { turbo: { persistent: true, interactive: true } } });
  });

  it('a task a package has no script for, with dependsOn, is a step that runs nothing (turbo keeps it so ^build passes through)', () => {
    const tree = repo({ tasks: { build: { dependsOn: ['^build'] } } });
    tree['packages/lib/package.json'] = { name: 'lib', dependencies: { base: '*' }, scripts: { lint: 'x' } };
    const ws = ok(tree);
    expect(target(ws, 'lib', 'build')).toMatchObject({ executor: 'nx:noop', dependsOn: [{ target: 'build', dependencies: true }], cache: false });
    // Without dependsOn, no target at all.
    expect(target(ok(repo({ tasks: { typecheck: {} } })), 'app', 'typecheck')).toBeUndefined();
  });

  it('`pkg#task` in the root replaces the task for that package, inheriting nothing', () => {
    const ws = ok(repo({ tasks: { build: { dependsOn: ['^build'], outputs: ['dist/**'] }, 'app#build': { outputs: ['.next/**'] } } }));
    expect(target(ws, 'app', 'build')).toMatchObject({ dependsOn: [], outputs: ['{projectRoot}/.next/**'] });
    expect(target(ws, 'lib', 'build')).toMatchObject({ dependsOn: [{ target: 'build', dependencies: true }], outputs: ['{projectRoot}/dist/**'] });
  });

  it('package configurations: scalars inherited, arrays replaced, $TURBO_EXTENDS$ appends, extends: false drops, other packages extended in order', () => {
    const ws = ok(
      repo(
        { tasks: { build: { dependsOn: ['^build'], outputs: ['dist/**'], cache: false, env: ['A'] }, lint: {}, test: {} } },
        {
          'packages/lib/turbo.json': {
            extends: ['//'],
            tags: ['shared'],
            tasks: { build: { outputs: ['$TURBO_EXTENDS$', 'types/**'], env: ['B'] }, lint: { extends: false }, test: { extends: false, outputs: ['cov/**'] } },
          },
          'packages/app/turbo.json': { extends: ['//', 'lib'], tasks: { build: { cache: true } } },
        },
      ),
    );
    const lib = target(ws, 'lib', 'build')!;
    expect(lib.outputs).toEqual(['{projectRoot}/dist/**', '{projectRoot}/types/**']);
    expect(lib.cache).toBe(false);
    expect(lib.dependsOn).toEqual([{ target: 'build', dependencies: true }]);
    expect(lib.inputs).toContainEqual({ env: 'B' });
    expect(lib.inputs).not.toContainEqual({ env: 'A' });
    // The package's turbo.json is always an input of its tasks.
    expect(lib.inputs).toContain('{workspaceRoot}/packages/lib/turbo.json');
    expect(target(ws, 'lib', 'lint')!.inputs).toBeUndefined(); // the script target, untouched by turbo
    expect(target(ws, 'lib', 'test')!.outputs).toEqual(['{projectRoot}/cov/**']);
    expect(ws.projects.get('lib' as never)!.tags).toContain('shared');
    // app extends lib: lib's outputs and env, then its own cache.
    expect(target(ws, 'app', 'build')).toMatchObject({ cache: true, outputs: ['{projectRoot}/dist/**', '{projectRoot}/types/**'] });
    expect(target(ws, 'app', 'test')!.outputs).toEqual(['{projectRoot}/cov/**']);
  });

  it('turbo.jsonc with comments is read too', () => {
    const tree = repo({});
    delete tree['turbo.json'];
    tree['turbo.jsonc'] = '{\n  // comments are fine\n  "tasks": { "build": { "dependsOn": ["^build"], }, },\n}\n';
    expect(target(ok(tree), 'app', 'build')!.dependsOn).toEqual([{ target: 'build', dependencies: true }]);
  });
});

describe('turbo.json problems are located errors', () => {
  it('invalid JSON names file:line:column', () => {
    const [d] = problems(repo({}, { 'turbo.json': '{\n  "tasks": {\n    "build": { "outputs": ["dist/**" }\n  }\n}\n' }));
    expect(d).toMatchObject({ code: 'invalid-json', location: { file: 'turbo.json', line: 3 } });
  });

  it('unknown keys get "did you mean", at their place', () => {
    const list = problems(repo({ globalEnvs: ['X'], tasks: { build: { dependson: ['^build'], output: ['dist'] } } }));
    expect(list.map((d) => d.message)).toEqual([
      'turbo.json has no key "globalEnvs". Did you mean "globalEnv"?',
      '"tasks.build" has no key "dependson". Did you mean "dependsOn"?',
      '"tasks.build" has no key "output". Did you mean "outputs"?',
    ]);
    expect(list[1]).toMatchObject({ code: 'unknown-config-key', location: { file: 'turbo.json', line: 7, column: 7 } });
  });

  it('wrong types, turbo 1 "pipeline", and package configurations that break turbo rules', () => {
    const list = problems(
      repo(
        { pipeline: {}, tasks: { build: { cache: 'yes', outputs: 'dist' } } },
        {
          'packages/lib/turbo.json': { globalEnv: ['X'], tasks: { 'lib#build': {} } },
        },
      ),
    );
    const messages = list.map((d) => `${d.location?.file} ${d.message}`);
    expect(messages).toContainEqual(expect.stringMatching(/^turbo.json turbo 2 renamed "pipeline" to "tasks"/));
    expect(messages).toContainEqual(expect.stringMatching(/^turbo.json "tasks.build.cache" must be true or false/));
    expect(messages).toContainEqual(expect.stringMatching(/^turbo.json "tasks.build.outputs" must be an array of strings/));
    expect(messages).toContainEqual(expect.stringMatching(/^packages\/lib\/turbo.json "globalEnv" can only be set in the root turbo.json/));
    expect(messages).toContainEqual(expect.stringMatching(/^packages\/lib\/turbo.json a package's turbo.json must start "extends" with "\/\/"/));
    expect(messages).toContainEqual(expect.stringMatching(/^packages\/lib\/turbo.json a package's turbo.json names its own tasks without "#"/));
  });

  it('`pkg#task` naming no package, and extending an unknown package', () => {
    const list = problems(repo({ tasks: { 'ap#build': {} } }, { 'packages/lib/turbo.json': { extends: ['//', 'bas'], tasks: {} } }));
    expect(list.map((d) => d.message)).toEqual([
      'turbo.json task "ap#build" names package "ap", which is not in the workspace. Did you mean "app"?',
      'packages/lib/turbo.json extends "bas", which is not a package with a turbo.json. Did you mean "base"?',
    ]);
  });

  it('depending on a persistent task is an error at the dependsOn entry', () => {
    const list = problems(repo({ tasks: { dev: { persistent: true }, build: { dependsOn: ['^build'] }, test: { dependsOn: ['^dev', 'base#dev'] } } }));
    // lib's `^dev` reaches base#dev; every package's `base#dev` names it (base's own test included).
    expect(list.map((d) => d.message).sort()).toEqual(
      ['app', 'base', 'lib', 'lib'].map((p) => `${p}#test depends on base#dev, a persistent task: it never finishes, so ${p}#test would never start.`),
    );
    expect(list[0]).toMatchObject({ code: 'persistent-dependency', location: { file: 'turbo.json' } });
  });
});

describe('nx.json and turbo.json together: nx.json wins', () => {
  const both = (nxBuild: object) => load(repo({ tasks: { build: { dependsOn: ['^build'], outputs: ['dist/**'] } } }, { 'nx.json': { targetDefaults: { build: nxBuild } } }));

  it('turbo.json is not used, and an agreeing definition is quiet', () => {
    const r = both({ dependsOn: ['^build'], outputs: ['{projectRoot}/dist'], cache: true });
    if (!r.ok) throw new Error('expected ok');
    expect(r.value.projects.get('app' as never)!.targets.build!.metadata).not.toHaveProperty('turbo');
    expect(r.value.warnings).toEqual([]);
  });

  it('a target defined differently is a warning at the turbo.json task, naming what differs', () => {
    const r = both({ outputs: ['{projectRoot}/dist'] });
    if (!r.ok) throw new Error('expected ok');
    expect(r.value.warnings.map((w) => w.message)).toEqual([
      'turbo.json and the Nx configuration define "build" differently (dependsOn, cache) in app, base, lib; nx.json is present, so kiln uses the Nx definition.',
    ]);
    expect(r.value.warnings[0]).toMatchObject({ code: 'turbo-conflict', severity: 'warning', location: { file: 'turbo.json', line: 3 } });
  });

  it('a broken turbo.json is a warning, not an error, when nx.json configures the workspace', () => {
    const r = load(repo({}, { 'nx.json': {}, 'turbo.json': '{ "tasks": ' }));
    if (!r.ok) throw new Error('expected ok');
    expect(new Set(r.value.warnings.map((w) => w.code))).toEqual(new Set(['invalid-json']));
    expect(r.value.warnings[0]!.hint).toMatch(/nx.json is present, so kiln does not use turbo.json/);
  });
});
