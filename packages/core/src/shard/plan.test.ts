/**
 * Properties of the shard planner on random task graphs and durations (seeded: a failure names
 * its seed; KILN_SHARD_SEED=<seed> replays one). Every task is owned exactly once, the heaviest
 * shard stays within 1.2 × (total / N) + the longest task, take-along copies are exactly the
 * dependencies owned elsewhere, and the plan does not depend on the order tasks are listed in.
 */
import { describe, expect, it } from 'vitest';
import { prng } from '../../../../tools/bench/generate.mjs';
import { parseShardSpec, planShards, requestedTasks, weighTasks, type ShardTask } from './index.js';

function randomGraph(seed: number): { tasks: ShardTask[]; count: number } {
  const rnd = prng(seed);
  const n = rnd.int(1, 160);
  const density = rnd.next() * 0.1;
  const tasks: ShardTask[] = [];
  for (let i = 0; i < n; i++) {
    const dependsOn: string[] = [];
    for (let j = 0; j < i; j++) if (rnd.next() < density) dependsOn.push(`p${j}:build`);
    // Heavy-tailed durations: mostly short, a few long ones.
    const weight = rnd.next() < 0.1 ? rnd.int(20_000, 300_000) : rnd.int(1, 5_000);
    tasks.push({ id: `p${i}:build`, dependsOn, weight });
  }
  return { tasks, count: rnd.int(1, 12) };
}

function closure(tasks: readonly ShardTask[], roots: readonly string[]): Set<string> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0)
    for (const d of byId.get(stack.pop()!)!.dependsOn)
      if (!seen.has(d)) {
        seen.add(d);
        stack.push(d);
      }
  return seen;
}

const firstSeed = Number(process.env.KILN_SHARD_SEED ?? 20261206);
const runs = process.env.KILN_SHARD_SEED ? 1 : 400;

describe('planShards on random graphs', () => {
  it(`holds its properties for ${runs} seeds from ${firstSeed}`, () => {
    for (let seed = firstSeed; seed < firstSeed + runs; seed++) {
      const { tasks, count } = randomGraph(seed);
      const plan = planShards(tasks, count);
      const where = `seed ${seed} (replay: KILN_SHARD_SEED=${seed}), ${tasks.length} tasks, ${count} shards`;
      expect(
        plan.shards.map((s) => s.index),
        where,
      ).toEqual(Array.from({ length: count }, (_, i) => i + 1));
      const owned = plan.shards.flatMap((s) => s.tasks);
      expect(owned.length, where).toBe(tasks.length);
      expect(new Set(owned), where).toEqual(new Set(tasks.map((t) => t.id)));
      const total = tasks.reduce((s, t) => s + t.weight, 0);
      const longest = Math.max(...tasks.map((t) => t.weight));
      const weightOf = new Map(tasks.map((t) => [t.id, t.weight]));
      for (const s of plan.shards) {
        expect(s.weight, where).toBe(s.tasks.reduce((sum, id) => sum + weightOf.get(id)!, 0));
        expect(s.weight, `${where}: shard ${s.index}`).toBeLessThanOrEqual(1.2 * (total / count) + longest + 1e-6);
        const mine = new Set(s.tasks);
        expect(s.takeAlong, where).toEqual([...closure(tasks, s.tasks)].filter((id) => !mine.has(id)).sort());
      }
      // The order of the input does not matter: every runner computes the same plan.
      const shuffled = [...tasks].reverse().map((t) => ({ ...t, dependsOn: [...t.dependsOn].reverse() }));
      expect(planShards(shuffled, count), where).toEqual(plan);
    }
  });

  it('keeps a small chain whole in one shard (no take-along)', () => {
    const tasks: ShardTask[] = [
      { id: 'a:build', dependsOn: [], weight: 10 },
      { id: 'b:build', dependsOn: ['a:build'], weight: 10 },
      ...Array.from({ length: 20 }, (_, i) => ({ id: `x${String(i).padStart(2, '0')}:build`, dependsOn: [], weight: 100 })),
    ];
    const plan = planShards(tasks, 2);
    expect(plan.shards.every((s) => s.takeAlong.length === 0)).toBe(true);
    expect(plan.shards.find((s) => s.tasks.includes('a:build'))!.tasks).toContain('b:build');
    expect(plan.shards.map((s) => s.weight).sort()).toEqual([1000, 1020]);
  });

  it('splits a large group and takes the shared dependency along', () => {
    const tasks: ShardTask[] = [
      { id: 'lib:build', dependsOn: [], weight: 100 },
      ...['a', 'b', 'c', 'd'].map((p) => ({ id: `${p}:build`, dependsOn: ['lib:build'], weight: 1000 })),
    ];
    const plan = planShards(tasks, 2);
    expect(plan.shards.map((s) => s.tasks.length).sort()).toEqual([2, 3]);
    const without = plan.shards.find((s) => !s.tasks.includes('lib:build'))!;
    expect(without.takeAlong).toEqual(['lib:build']);
    expect(without.takeAlongWeight).toBe(100);
  });

  it('gives more shards than tasks empty shards, and refuses bad input', () => {
    expect(planShards([{ id: 'a:b', dependsOn: [], weight: 1 }], 3).shards.map((s) => s.tasks)).toEqual([['a:b'], [], []]);
    expect(() => planShards([], 0)).toThrow(/whole number >= 1/);
    expect(() => planShards([{ id: 'a:b', dependsOn: [], weight: 0 }], 1)).toThrow(/positive/);
  });
});

describe('weighTasks', () => {
  it('uses recorded durations and the median of them for tasks never timed', () => {
    const tasks = ['a', 'b', 'c', 'd'].map((p) => ({ id: `${p}:build`, dependsOn: [] }));
    const r = weighTasks(
      tasks,
      new Map([
        ['a:build', 100],
        ['b:build', 300],
        ['c:build', 0],
      ]),
    );
    expect(r.fallbackMs).toBe(100);
    expect(r.unknown).toBe(1);
    expect(r.tasks.map((t) => t.weight)).toEqual([100, 300, 1, 100]);
    expect(weighTasks(tasks, new Map()).tasks.every((t) => t.weight === 1000)).toBe(true);
  });
});

describe('parseShardSpec', () => {
  it('takes i/N with 1 <= i <= N', () => {
    expect(parseShardSpec('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '1', 'a/b', '1/0', '-1/2']) expect(parseShardSpec(bad), bad).toBeUndefined();
  });
});

describe('requestedTasks', () => {
  it('links requested tasks through the ones that were not requested', () => {
    const graph = { requested: ['app:build', 'lib:build'], dependencies: { 'app:build': ['app:codegen'], 'app:codegen': ['lib:build'], 'lib:build': [] } };
    expect(requestedTasks(graph)).toEqual([
      { id: 'app:build', dependsOn: ['lib:build'] },
      { id: 'lib:build', dependsOn: [] },
    ]);
  });
});
