import { describe, expect, it } from 'vitest';
import { createFileOwner, groupByOwner, isInputOf, resolveDependencyInput, resolveTaskInputs, selectInputFiles, type InputsWorkspace } from './index.js';

const ws: InputsWorkspace = {
  namedInputs: {
    sharedGlobals: ['{workspaceRoot}/tsconfig.base.json'],
    production: ['default', '!{projectRoot}/**/*.spec.ts', '!{projectRoot}/README.md'],
    default: ['{projectRoot}/**/*', 'sharedGlobals'],
  },
  projects: {
    app: { root: 'apps/app' },
    lib: { root: 'libs/lib' },
    util: { root: 'libs/util', namedInputs: { production: ['{projectRoot}/src/**/*'] } },
    nested: { root: 'libs/lib/nested' },
    root: { root: '.' },
  },
  dependencies: { app: ['lib'], lib: ['util'], util: [], nested: [], root: [] },
};

const files = [
  'apps/app/src/main.ts',
  'apps/app/src/main.spec.ts',
  'apps/app/README.md',
  'libs/lib/src/a.ts',
  'libs/lib/src/a.spec.ts',
  'libs/lib/nested/x.ts',
  'libs/util/src/u.ts',
  'libs/util/package.json',
  'tsconfig.base.json',
  'README.md',
];
const owner = createFileOwner(ws.projects);
const byOwner = groupByOwner(files, owner);

function resolved(project: string, inputs?: Parameters<typeof resolveTaskInputs>[2]) {
  const r = resolveTaskInputs(ws, project, inputs);
  if (!r.ok) throw new Error(r.error.map((d) => d.message).join('\n'));
  return r.value;
}

describe('resolveTaskInputs', () => {
  it('defaults to default and ^default, transitively, with workspace filesets', () => {
    const r = resolved('app');
    expect(r.filesets.map((f) => f.project)).toEqual(['app', 'lib', 'util']);
    expect(selectInputFiles(r, files, byOwner)).toEqual([
      'apps/app/README.md',
      'apps/app/src/main.spec.ts',
      'apps/app/src/main.ts',
      'libs/lib/src/a.spec.ts',
      'libs/lib/src/a.ts',
      'libs/util/package.json',
      'libs/util/src/u.ts',
      'tsconfig.base.json',
    ]);
  });

  it('applies negation and lets a project override a named input for its own files', () => {
    const r = resolved('app', ['production', '^production']);
    expect(selectInputFiles(r, files, byOwner)).toEqual([
      'apps/app/src/main.ts',
      'libs/lib/src/a.ts',
      // util's own `production` is only src/**, so its package.json is not an input
      'libs/util/src/u.ts',
      'tsconfig.base.json',
    ]);
  });

  it('keeps a nested project\'s files out of its parent\'s {projectRoot} set', () => {
    const r = resolved('lib', ['{projectRoot}/**/*']);
    expect(selectInputFiles(r, files, byOwner)).toEqual(['libs/lib/src/a.spec.ts', 'libs/lib/src/a.ts']);
    expect(isInputOf(r, 'libs/lib/nested/x.ts', owner)).toBe(false);
    expect(isInputOf(r, 'libs/lib/src/a.ts', owner)).toBe(true);
  });

  it('treats the root project "." as owning only files no other project owns', () => {
    const r = resolved('root', ['{projectRoot}/**/*']);
    expect(selectInputFiles(r, files, byOwner)).toEqual(['README.md', 'tsconfig.base.json']);
  });

  it('collects env, runtime, external dependencies and dependent outputs', () => {
    const r = resolved('app', [
      { env: 'NODE_ENV' },
      { runtime: 'node -v' },
      { externalDependencies: ['react', 'lodash'] },
      { dependentTasksOutputFiles: '**/*.d.ts', transitive: true },
      '{workspaceRoot}/config/*.json',
    ]);
    expect(r.env).toEqual(['NODE_ENV']);
    expect(r.runtime).toEqual(['node -v']);
    expect(r.externalDependencies).toEqual(['lodash', 'react']);
    expect(r.dependentTasksOutputFiles).toEqual([{ glob: '**/*.d.ts', transitive: true }]);
    expect(r.filesets).toEqual([
      { project: 'app', project_include: [], project_exclude: [], workspace_include: ['config/*.json'], workspace_exclude: [] },
    ]);
    expect(resolved('app', ['default']).externalDependencies).toBeUndefined();
  });

  it('supports object forms with projects and dependencies', () => {
    const r = resolved('util', [{ input: 'default', projects: ['lib'] }, { fileset: '{projectRoot}/src/**/*' }]);
    expect(selectInputFiles(r, files, byOwner)).toEqual(['libs/lib/src/a.spec.ts', 'libs/lib/src/a.ts', 'libs/util/src/u.ts', 'tsconfig.base.json']);
    const d = resolved('lib', [{ input: 'production', dependencies: true }]);
    expect(selectInputFiles(d, files, byOwner)).toEqual(['libs/util/src/u.ts']);
  });

  it('reports an unknown named input with the known ones', () => {
    const r = resolveTaskInputs(ws, 'app', ['prod']);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error[0]!.code).toBe('unknown-named-input');
      expect(r.error[0]!.hint).toContain('production');
    }
  });

  it('reports a named input that refers to itself', () => {
    const r = resolveTaskInputs({ ...ws, namedInputs: { a: ['b'], b: ['a'] } }, 'app', ['a']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error[0]!.code).toBe('named-input-cycle');
  });

  it('can leave ^ inputs unwalked, for hashing one project at a time', () => {
    const r = resolveTaskInputs(ws, 'app', ['production', '^production'], { transitive: false });
    if (!r.ok) throw new Error('resolve');
    expect(r.value.filesets.map((f) => f.project)).toEqual(['app']);
    expect(r.value.dependencyInputs).toEqual([{ kind: 'named', value: 'production' }]);
    const util = resolveDependencyInput(ws, 'util', { kind: 'named', value: 'production' });
    if (!util.ok) throw new Error('resolve');
    expect(selectInputFiles({ filesets: util.value.filesets }, files, byOwner)).toEqual(['libs/util/src/u.ts']);
  });

  it("takes a dependency's env values, commands and external packages in its own terms", () => {
    const w: InputsWorkspace = {
      ...ws,
      namedInputs: { ...ws.namedInputs, withEnv: ['default', { env: 'DEP_ENV' }, { runtime: 'node -v' }], pinned: ['default', { externalDependencies: ['left'] }] },
    };
    const share = resolveDependencyInput(w, 'util', { kind: 'named', value: 'withEnv' });
    if (!share.ok) throw new Error('resolve');
    expect(share.value.env).toEqual(['DEP_ENV']);
    expect(share.value.runtime).toEqual(['node -v']);
    expect(share.value.externalDependencies).toBeUndefined();
    const pinned = resolveDependencyInput(w, 'util', { kind: 'named', value: 'pinned' });
    if (!pinned.ok) throw new Error('resolve');
    expect(pinned.value.externalDependencies).toEqual(['left']);
    // Walked transitively, the dependency's env counts for the task; its package list narrows only its own packages.
    const task = resolveTaskInputs(w, 'app', ['default', '^withEnv', '^pinned']);
    if (!task.ok) throw new Error('resolve');
    expect(task.value.env).toEqual(['DEP_ENV']);
    expect(task.value.runtime).toEqual(['node -v']);
    expect(task.value.externalDependencies).toBeUndefined();
  });
});

describe('globMatcher fast paths agree with micromatch', () => {
  it('on literal, dir/** and dir/**/*.ext globs', async () => {
    const { globMatcher } = await import('./match.js');
    const micromatch = (await import('micromatch')).default;
    const globs = ['a/b/**/*.spec.ts', '**/*.md', 'a/b/README.md', 'a/b/**', 'a/**/*', '**/*.ts'];
    const paths = ['a/b/x.spec.ts', 'a/b/c/d.spec.ts', 'a/bx/y.spec.ts', 'a/b/.spec.ts', 'a/b/spec.ts', 'README.md', 'a/b/README.md', 'a/b', 'a/b/c/.hidden.md', 'x.ts', 'a.spec.ts/b', 'a/b/x.spec.tsx'];
    for (const g of globs) for (const p of paths) expect(globMatcher([g])(p), `${g} ${p}`).toBe(micromatch.isMatch(p, g, { dot: true }));
  });
});
