/**
 * `kiln ci plan` and `kiln run --shard` end to end: a plan splits the build across two clones
 * that share one cache folder (`kiln.cacheDirectory`, standing in for a remote cache until one is
 * on main), and between them they build every task once; every runner computes the same shard
 * without a plan file, whatever its own cache recorded; bad input is a usage error.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, git, runKiln, startKiln, tempDir, type ProcessRun, type TempRepo } from './helpers/repo.js';

type RunJson = { tasks: { id: string; status: string; cache: string }[] };
type PlanJson = { include: { shard: number; shards: number; target: string; tasks: string[]; estimatedMs: number; takeAlong: string[] }[] };

const build = 'mkdir -p dist && echo "$npm_package_name" > dist/out.txt';
const pkg = (name: string, deps: string[] = []) => ({ name, version: '1.0.0', dependencies: Object.fromEntries(deps.map((d) => [d, '*'])), scripts: { build } });

function workspace(cacheDirectory: string) {
  const tree: Record<string, string | object> = {
    'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
    'nx.json': { targetDefaults: { build: { dependsOn: ['^build'], cache: true, outputs: ['{projectRoot}/dist'] } }, kiln: { cacheDirectory } },
    '.gitignore': 'dist\n.kiln\n',
    'packages/lib/package.json': pkg('lib'),
    'packages/lib/src/index.ts': 'export const lib = 1;\n',
  };
  for (const app of ['app1', 'app2', 'app3', 'app4']) tree[`packages/${app}/package.json`] = pkg(app, ['lib']);
  for (const solo of ['solo1', 'solo2', 'solo3']) tree[`packages/${solo}/package.json`] = pkg(solo);
  return tree;
}

const ALL = ['app1', 'app2', 'app3', 'app4', 'lib', 'solo1', 'solo2', 'solo3'].map((p) => `${p}:build`);
const misses = (...runs: ProcessRun[]): string[] =>
  runs
    .flatMap((r) => r.json<RunJson>().tasks)
    .filter((t) => t.cache === 'miss')
    .map((t) => t.id)
    .sort();

describe('kiln ci plan and run --shard', () => {
  let a: TempRepo;
  let cache: string;
  const clone = (): string => {
    const dir = join(tempDir(), 'clone');
    git(a.dir, ['clone', '-q', a.dir, dir]);
    return dir;
  };
  beforeAll(() => {
    cache = join(tempDir('kiln-shared-cache-'), 'cache');
    a = createRepo(workspace(cache));
  });
  afterAll(() => a.cleanup());

  it('plans every build task once, as a GitHub Actions matrix', () => {
    const r = a.kiln(['ci', 'plan', '-t', 'build', '--shards', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = r.json<PlanJson>();
    expect(Object.keys(plan)).toEqual(['include']);
    expect(plan.include.map((s) => [s.shard, s.shards, s.target])).toEqual([
      [1, 2, 'build'],
      [2, 2, 'build'],
    ]);
    expect(plan.include.flatMap((s) => s.tasks).sort()).toEqual(ALL);
    // No durations recorded yet: each task counts as the fallback, and the split is even.
    expect(r.stderr).toContain('8 of 8 tasks have no recorded duration');
    expect(plan.include.map((s) => s.tasks.length)).toEqual([4, 4]);
    const human = a.kiln(['ci', 'plan', '-t', 'build', '--shards', '2']);
    expect(human.stdout).toMatch(/8 build tasks in 2 shards/);
  });

  it('two clones sharing one cache run the two shards of a plan file and build every task once', async () => {
    const planFile = join(tempDir(), 'plan.json');
    writeFileSync(planFile, a.kiln(['ci', 'plan', '-t', 'build', '--shards', '2', '--json']).stdout);
    const b = clone();
    const first = a.kiln(['run', '-t', 'build', '--shard', '1/2', '--plan', planFile, '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/shard 1\/2: \d tasks/);
    const second = await startKiln(['run', '-t', 'build', '--shard', '2/2', '--plan', planFile, '--json'], { cwd: b }).done;
    expect(second.code, second.stderr).toBe(0);
    // Each task ran once across the two runners; a dependency the other shard owned was restored.
    expect(misses(first, second)).toEqual(ALL);
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as PlanJson;
    for (const [i, r] of [first, second].entries()) {
      const ran = r
        .json<RunJson>()
        .tasks.map((t) => t.id)
        .sort();
      expect(ran).toEqual([...plan.include[i]!.tasks, ...plan.include[i]!.takeAlong].sort());
    }
    // A third clone finds every task in the shared cache.
    const third = runKiln(['run', '-t', 'build', '--json'], { cwd: clone() });
    expect(misses(third)).toEqual([]);
  });

  it('without a plan file, runners agree on the shards whatever their own caches recorded', () => {
    // Clone A's cache has durations now; a fresh clone with its own empty cache has none.
    a.commit('lib changes', { 'packages/lib/src/index.ts': 'export const lib = 2;\n' });
    const other = clone();
    // Its own cache folder (uncommitted: the change is judged from HEAD~1 to HEAD).
    writeFileSync(join(other, 'nx.json'), JSON.stringify({ targetDefaults: { build: { dependsOn: ['^build'], cache: true, outputs: ['{projectRoot}/dist'] } } }));
    const range = ['--affected', '--base', 'HEAD~1', '--head', 'HEAD'];
    const shard = (cwd: string, i: number) => runKiln(['run', '-t', 'build', '--shard', `${i}/2`, ...range, '--json'], { cwd });
    const one = shard(a.dir, 1);
    const two = shard(other, 2);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const planned = (r: ProcessRun) => Number(/shard \d\/2: (\d+) task/.exec(r.stderr)?.[1]);
    // lib changed: lib and its four apps are affected, split between the two.
    expect(planned(one) + planned(two)).toBe(5);
    const uniform = a.kiln(['ci', 'plan', '-t', 'build', '--shards', '2', ...range, '--durations', 'uniform', '--json']).json<PlanJson>();
    expect(uniform.include.flatMap((s) => s.tasks).sort()).toEqual(['app1:build', 'app2:build', 'app3:build', 'app4:build', 'lib:build']);
    expect(uniform.include.map((s) => s.tasks.length)).toEqual([planned(one), planned(two)]);
    const ran = new Set([one, two].flatMap((r) => r.json<RunJson>().tasks.map((t) => t.id)));
    for (const t of uniform.include.flatMap((s) => s.tasks)) expect(ran, t).toContain(t);
  });

  it('refuses a bad shard, a plan for another count and a file that is no plan (exit 2)', () => {
    const bad = a.kiln(['run', '-t', 'build', '--shard', '3/2', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.json().error.code).toBe('invalid-option');
    const planFile = join(tempDir(), 'plan.json');
    writeFileSync(planFile, a.kiln(['ci', 'plan', '-t', 'build', '--shards', '3', '--json']).stdout);
    const other = a.kiln(['run', '-t', 'build', '--shard', '1/2', '--plan', planFile, '--json']);
    expect(other.code).toBe(2);
    expect(other.json().error).toMatchObject({ code: 'invalid-shard-plan', file: planFile });
    expect(other.json().error.message).toContain('plans 3 shards, not 2');
    writeFileSync(planFile, '{"include": [1,\n');
    const broken = a.kiln(['run', '-t', 'build', '--shard', '1/2', '--plan', planFile, '--json']);
    expect(broken.code).toBe(2);
    expect(broken.json().error).toMatchObject({ code: 'invalid-json', line: 2 });
    const zero = a.kiln(['ci', 'plan', '-t', 'build', '--shards', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--shards expects a whole number from 1 to 256');
  });
});
