import { describe, expect, it } from 'vitest';
import { parseNpmLockfile } from '../lockfile/index.js';
import { taskId, type TaskId } from '../model/index.js';
import type { Project } from '../workspace/index.js';
import { hashTasks, lockfileVersions, resolveTaskHashInputs, type TaskHashData, type TaskHashWorkspace, type TaskToHash } from './index.js';

const project = (name: string, targets: Project['targets']): Project =>
  ({ name, root: `p/${name}`, type: 'lib', tags: [], implicitDependencies: [], targets, configFiles: [], config: { root: `p/${name}` } }) as unknown as Project;

// app → lib → base; app's build also reads `^default` of its dependencies.
const ws: TaskHashWorkspace = {
  projects: new Map([
    ['app', project('app', { build: { inputs: ['default', '^default', { runtime: 'echo app' }], cache: true } })],
    ['lib', project('lib', { build: { inputs: ['default', { runtime: 'echo lib' }, { env: 'LIB_ENV' }], cache: true } })],
    ['base', project('base', { build: { cache: true } })],
  ]),
  namedInputs: { default: ['{projectRoot}/**/*', { runtime: 'echo shared' }] },
  dependencies: { app: ['lib'], lib: ['base'], base: [] },
  external: new Map(),
};
const files = ['p/app/a.ts', 'p/base/b.ts', 'p/lib/l.ts'];
const data = (digests: Record<string, string>): TaskHashData => ({ files, digestOf: (f) => digests[f], versionOf: () => undefined });
const order: TaskToHash[] = [
  { id: taskId('base', 'build'), project: 'base', target: 'build', dependsOn: [] },
  { id: taskId('lib', 'build'), project: 'lib', target: 'build', dependsOn: [taskId('base', 'build')] },
  { id: taskId('app', 'build'), project: 'app', target: 'build', dependsOn: [taskId('lib', 'build')] },
];
const digests = { 'p/app/a.ts': 'a1', 'p/base/b.ts': 'b1', 'p/lib/l.ts': 'l1' };
const hashAll = (d: Record<string, string>, runtime: Record<string, string>) => {
  const r = resolveTaskHashInputs(ws, data(d), order);
  if (!r.ok) throw new Error(r.error[0]!.message);
  return hashTasks(r.value, { digestOf: (f) => d[f], env: { LIB_ENV: 'x' }, runtime: new Map(Object.entries(runtime)) });
};
const runtime = { 'echo shared': 's', 'echo lib': 'l', 'echo app': 'a' };

describe('task hashing', () => {
  it('lists each {runtime} command once, in the order the tasks first need them, dependencies included', () => {
    const r = resolveTaskHashInputs(ws, data(digests), order);
    expect(r.ok && r.value.commands).toEqual(['echo shared', 'echo lib', 'echo app']);
    // app names its dependency's env and commands (through ^default) in its own fingerprint.
    const app = r.ok ? r.value.tasks[2]! : undefined;
    expect(app?.commands).toEqual(['echo app', 'echo shared']);
    expect(Object.keys(app?.projectFiles ?? {})).toEqual(['lib']);
  });

  it("changes a dependent's hash through its dependency's task hash and through its ^ share, and only then", () => {
    const before = hashAll(digests, runtime);
    const hashOf = (m: typeof before, id: string) => m.get(id as TaskId)!.hash;
    const baseEdit = hashAll({ ...digests, 'p/base/b.ts': 'b2' }, runtime);
    for (const id of ['base:build', 'lib:build', 'app:build']) expect(hashOf(baseEdit, id)).not.toBe(hashOf(before, id));
    // ^default of lib chains base's share: app's projectFiles digest moves with a file two levels down.
    expect(baseEdit.get('app:build' as TaskId)!.fingerprint.projectFiles.lib).not.toBe(before.get('app:build' as TaskId)!.fingerprint.projectFiles.lib);
    const appEdit = hashAll({ ...digests, 'p/app/a.ts': 'a2' }, runtime);
    expect(hashOf(appEdit, 'lib:build')).toBe(hashOf(before, 'lib:build'));
    expect(hashOf(appEdit, 'app:build')).not.toBe(hashOf(before, 'app:build'));
    const libOutput = hashAll(digests, { ...runtime, 'echo lib': 'L' });
    expect(hashOf(libOutput, 'base:build')).toBe(hashOf(before, 'base:build'));
    expect(hashOf(libOutput, 'lib:build')).not.toBe(hashOf(before, 'lib:build'));
  });

  it('reports an input that does not resolve as diagnostics', () => {
    const bad: TaskHashWorkspace = { ...ws, projects: new Map([...ws.projects, ['base', project('base', { build: { inputs: ['nope'] } })]]) };
    const r = resolveTaskHashInputs(bad, data(digests), order);
    expect(r.ok).toBe(false);
  });
});

describe('lockfileVersions', () => {
  it('pins a package with its integrity and a digest of everything it pulls in', () => {
    const lock = parseNpmLockfile(
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name: 'root' },
          'node_modules/left': { version: '1.0.0', integrity: 'sha512-L', dependencies: { right: '^2.0.0' } },
          'node_modules/right': { version: '2.0.0', integrity: 'sha512-R' },
        },
      }),
      'package-lock.json',
    );
    if (!lock.ok) throw new Error(lock.error.message);
    const versionOf = lockfileVersions(lock.value);
    expect(versionOf('', 'right')).toBe('2.0.0 sha512-R');
    expect(versionOf('', 'left')).toMatch(/^1\.0\.0 sha512-L tree [0-9a-f]{16}$/);
    expect(versionOf('', 'missing')).toBeUndefined();
    expect(lockfileVersions(undefined)('', 'left')).toBeUndefined();
  });
});
