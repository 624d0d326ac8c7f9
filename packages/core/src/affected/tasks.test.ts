import { describe, expect, it } from 'vitest';
import { affectedClosure, affectedTasks, explainChain, targetTasks, type TaskLevelInput } from './index.js';

const inputs = {
  namedInputs: { default: ['{projectRoot}/**/*'], production: ['default', '!{projectRoot}/**/*.spec.ts'] },
  projects: { lib: { root: 'libs/lib' }, app: { root: 'apps/app' } },
  dependencies: { app: ['lib'], lib: [] },
};
const targets: Record<string, string[]> = { build: ['production', '^production'], test: ['default', '^production'] };
const base = (paths: string[], extra: Partial<TaskLevelInput> = {}): TaskLevelInput => ({
  graph: {
    tasks: {
      'app:build': { project: 'app', target: 'build' },
      'lib:build': { project: 'lib', target: 'build' },
      'app:test': { project: 'app', target: 'test' },
      'lib:test': { project: 'lib', target: 'test' },
    },
    dependencies: { 'app:build': ['lib:build'], 'lib:build': [], 'app:test': [], 'lib:test': [] },
  },
  inputs,
  targetInputs: (_p, t) => targets[t],
  changes: paths.map((path) => ({ status: 'modified', path })),
  candidates: new Set(['lib', 'app']),
  projectReasons: new Map(),
  global: [],
  ...extra,
});

describe('task-level affected', () => {
  it('a spec-only change affects only the tests that read it', () => {
    expect(affectedTasks(base(['libs/lib/src/a.spec.ts'])).tasks).toEqual(['lib:test']);
  });

  it('a production file affects its build, dependents through ^ inputs and through the task graph', () => {
    const r = affectedTasks(base(['libs/lib/src/a.ts']));
    expect(r.tasks).toEqual(['app:build', 'app:test', 'lib:build', 'lib:test']);
    expect(r.reasons.get('app:build')).toEqual([
      { kind: 'file', file: 'libs/lib/src/a.ts', detail: 'changed, an input through lib' },
      { kind: 'dependency', on: 'lib:build' },
    ]);
    expect(explainChain(r, 'lib:build')).toBe('lib:build <- libs/lib/src/a.ts (changed)');
  });

  it('project-level reasons hold for every task; global for all', () => {
    const lock = { kind: 'lockfile' as const, package: 'lodash', file: 'package-lock.json' };
    expect(affectedTasks(base([], { projectReasons: new Map([['app', [lock]]]) })).tasks).toEqual(['app:build', 'app:test']);
    expect(affectedTasks(base([], { global: [{ kind: 'global', file: 'nx.json', detail: 'x' }] })).tasks).toHaveLength(4);
  });
});

describe('task-level affected through several levels of dependencies', () => {
  it('a changed file reaches a task through transitive ^ inputs, not through unrelated projects', () => {
    const chain = {
      namedInputs: { default: ['{projectRoot}/**/*'], production: ['default', '!{projectRoot}/**/*.spec.ts'] },
      projects: { app: { root: 'app' }, mid: { root: 'mid' }, lib: { root: 'lib' }, other: { root: 'other' } },
      dependencies: { app: ['mid'], mid: ['lib'], lib: [], other: [] },
    };
    const r = affectedTasks({
      // No task dependencies: only the ^ inputs can carry the change up.
      graph: { tasks: { 'app:lint': { project: 'app', target: 'lint' }, 'other:lint': { project: 'other', target: 'lint' } }, dependencies: {} },
      inputs: chain,
      targetInputs: () => ['production', '^production'],
      changes: [{ status: 'modified', path: 'lib/src/x.ts' }],
      candidates: new Set(['app', 'mid', 'lib', 'other']),
      projectReasons: new Map(),
      global: [],
    });
    expect(r.tasks).toEqual(['app:lint']);
    expect(r.reasons.get('app:lint')).toEqual([{ kind: 'file', file: 'lib/src/x.ts', detail: 'changed, an input through lib' }]);
  });
});

describe('the tasks of one target', () => {
  it('are the graph\'s own ids for it, a colon in the target included', () => {
    const projects: Parameters<typeof targetTasks>[0]['projects'] = [
      { name: 'a', root: 'libs/a', targets: { 'build:prod': {}, build: {} } },
      { name: 'b', root: 'libs/b', targets: { 'build:prod': {} } },
    ];
    const changes = [{ status: 'modified' as const, path: 'libs/a/src/x.ts' }];
    const touches = [{ project: 'a', reason: { kind: 'file' as const, file: 'libs/a/src/x.ts' } }];
    const r = targetTasks({
      target: 'build:prod',
      projects,
      dependencies: { a: [], b: [] },
      graph: { tasks: { 'a:build:prod': { project: 'a', target: 'build:prod' }, 'b:build:prod': { project: 'b', target: 'build:prod' } }, dependencies: {}, requested: ['a:build:prod', 'b:build:prod'] },
      changes,
      closure: affectedClosure({ projects, dependencies: new Map() }, touches),
      touches,
      global: [],
    });
    expect(r.tasks).toEqual(['a:build:prod']);
    expect(r.reasons['a:build:prod']).toEqual([{ kind: 'file', file: 'libs/a/src/x.ts' }]);
  });
});
