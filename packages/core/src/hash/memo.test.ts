import { describe, expect, it } from 'vitest';
import { taskId, type TaskId } from '../model/index.js';
import type { Project } from '../workspace/index.js';
import { hashTasks, resolveTaskHashInputs, TaskHashMemo, type TaskHashData, type TaskHashWorkspace, type TaskToHash, type VersionOf } from './index.js';

const project = (name: string, targets: Project['targets']): Project =>
  ({ name, root: `p/${name}`, type: 'lib', tags: [], implicitDependencies: [], targets, configFiles: [], config: { root: `p/${name}` } }) as unknown as Project;

// p0 ← p1 ← … ← p5 (each depends on the two below it); p3 names an env variable, p4 a {runtime} command; all read a workspace file.
const names = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
const inputs = (i: number): unknown[] => ['default', '^default', ...(i === 3 ? [{ env: 'P3_ENV' }] : []), ...(i === 4 ? [{ runtime: 'echo p4' }] : [])];
const ws: TaskHashWorkspace = {
  projects: new Map(names.map((n, i) => [n, project(n, { build: { inputs: inputs(i) as never, cache: true } })])),
  namedInputs: { default: ['{projectRoot}/**/*', '{workspaceRoot}/shared.txt'] },
  dependencies: Object.fromEntries(names.map((n, i) => [n, names.slice(Math.max(0, i - 2), i)])),
  external: new Map(),
};
const files = ['shared.txt', ...names.flatMap((n) => [`p/${n}/a.ts`, `p/${n}/b.ts`])].sort();
const order: TaskToHash[] = names.map((n, i) => ({
  id: taskId(n, 'build'),
  project: n,
  target: 'build',
  dependsOn: names.slice(Math.max(0, i - 2), i).map((d) => taskId(d, 'build')),
}));
const versionOf: VersionOf = () => undefined;

function hashAll(digests: Record<string, string>, env: Record<string, string>, runtime: Map<string, string>, memo?: TaskHashMemo): Map<TaskId, string> {
  const data: TaskHashData = { files, digestOf: (f) => digests[f], versionOf };
  const r = resolveTaskHashInputs(ws, data, order, memo);
  if (!r.ok) throw new Error(r.error[0]!.message);
  return new Map([...hashTasks(r.value, { digestOf: data.digestOf, env, runtime }, memo)].map(([id, h]) => [id, h.hash]));
}

describe('TaskHashMemo', () => {
  it('gives the hashes a fresh plan gives, through random edits, env and runtime changes', () => {
    const memo = new TaskHashMemo();
    const digests: Record<string, string> = Object.fromEntries(files.map((f) => [f, 'v0']));
    const env = { P3_ENV: 'a' };
    const runtime = new Map([['echo p4', 'r0']]);
    let seed = 7;
    const next = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let previous = hashAll(digests, env, runtime, memo);
    let moved = 0;
    for (let step = 0; step < 60; step++) {
      const what = next(10);
      if (what === 0) env.P3_ENV = `e${step}`;
      else if (what === 1) runtime.set('echo p4', `r${step}`);
      else if (what !== 2) {
        // A file edit (what === 2: nothing changed at all): reported to the memo before the plan, as the watch does.
        const file = files[next(files.length)]!;
        digests[file] = `v${step}`;
        memo.changed([file]);
      }
      const fresh = hashAll(digests, env, runtime);
      const memoized = hashAll(digests, env, runtime, memo);
      expect(memoized, `step ${step}`).toEqual(fresh);
      if ([...fresh].some(([id, h]) => previous.get(id) !== h)) moved++;
      previous = fresh;
    }
    // The sequence did move hashes (the comparison above is not of unchanging values).
    expect(moved).toBeGreaterThan(30);
  });

  it('keeps the hashes of tasks the change does not reach, and forgets everything when the data is new', () => {
    const memo = new TaskHashMemo();
    const digests: Record<string, string> = Object.fromEntries(files.map((f) => [f, 'v0']));
    const runtime = new Map([['echo p4', 'r0']]);
    const before = hashAll(digests, {}, runtime, memo);
    digests['p/p4/a.ts'] = 'v1';
    memo.changed(['p/p4/a.ts']);
    const after = hashAll(digests, {}, runtime, memo);
    for (const n of ['p0', 'p1', 'p2', 'p3']) expect(after.get(taskId(n, 'build'))).toBe(before.get(taskId(n, 'build')));
    for (const n of ['p4', 'p5']) expect(after.get(taskId(n, 'build'))).not.toBe(before.get(taskId(n, 'build')));
    // Not reported (as when the file list itself is new): only new data objects make the memo start over.
    digests['p/p0/a.ts'] = 'v1';
    expect(hashAll(digests, {}, runtime, memo).get(taskId('p0', 'build'))).toBe(before.get(taskId('p0', 'build')));
    const r = resolveTaskHashInputs({ ...ws, dependencies: { ...ws.dependencies } }, { files, digestOf: (f) => digests[f], versionOf }, order, memo);
    expect(r.ok && hashTasks(r.value, { digestOf: (f) => digests[f], env: {}, runtime }, memo).get(taskId('p0', 'build'))!.hash).not.toBe(before.get(taskId('p0', 'build')));
  });
});
