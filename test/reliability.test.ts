/**
 * Faults a cached run must survive, end to end: kill -9 at seeded random moments, and four runs
 * sharing one workspace and cache at once. After each, the next run must be correct (every output
 * as its sources say) and the cache must hold only whole entries (everything restores, nothing is
 * reported corrupt).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLength } from './helpers/env.js';
import { createRepo, type TempRepo } from './helpers/repo.js';
import { prng } from '../tools/bench/generate.mjs';

const PROJECTS = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];

/** Six projects in a chain; each build writes several files derived from its source and its dependency's output. */
function workspace(): Record<string, string | object> {
  const tree: Record<string, string | object> = {
    'package.json': { name: 'faults', private: true, workspaces: ['packages/*'] },
    'nx.json': { targetDefaults: { build: { dependsOn: ['^build'], cache: true, outputs: ['{projectRoot}/dist'] } } },
    '.gitignore': 'dist\n.kiln\n',
  };
  PROJECTS.forEach((p, i) => {
    const dep = i === 0 ? '' : ` ../${PROJECTS[i - 1]}/dist/out.txt`;
    tree[`packages/${p}/package.json`] = {
      name: p,
      version: '1.0.0',
      ...(i > 0 && { dependencies: { [PROJECTS[i - 1]!]: '*' } }),
      scripts: { build: `mkdir -p dist && cat src/in.txt${dep} > dist/out.txt && for n in 1 2 3 4 5 6 7 8; do head -c 20000 /dev/zero | tr '\\0' "$n" > dist/part$n.bin; done` },
    };
    tree[`packages/${p}/src/in.txt`] = `${p} 0\n`;
  });
  return tree;
}

/** What p's dist/out.txt must hold: its source line after that of every project before it. */
function expected(dir: string, index: number): string {
  return PROJECTS.slice(0, index + 1)
    .reverse()
    .map((p) => readFileSync(join(dir, 'packages', p, 'src/in.txt'), 'utf8'))
    .join('');
}


type Json = { tasks: { id: string; status: string; cache: string }[] };

/** The next run succeeds with every output right; then, outputs deleted, every task restores from the cache. */
function expectCorrectAndWhole(repo: TempRepo, context: string): void {
  const next = repo.kiln(['run', '-t', 'build', '--json']);
  expect(next.code, `${context}\n${next.stderr}`).toBe(0);
  expect(next.stderr, context).not.toMatch(/corrupt|internal error/);
  PROJECTS.forEach((p, i) => expect(readFileSync(join(repo.dir, 'packages', p, 'dist/out.txt'), 'utf8'), `${context}: ${p}`).toBe(expected(repo.dir, i)));
  for (const p of PROJECTS) rmSync(join(repo.dir, 'packages', p, 'dist'), { recursive: true, force: true });
  const restored = repo.kiln(['run', '-t', 'build', '--json']);
  expect(restored.code, `${context}\n${restored.stderr}`).toBe(0);
  expect(restored.stderr, context).not.toMatch(/corrupt|internal error/);
  expect(
    restored.json<Json>().tasks.filter((t) => t.cache !== 'local').map((t) => t.id),
    `${context}: every entry restores`,
  ).toEqual([]);
  PROJECTS.forEach((p, i) => expect(readFileSync(join(repo.dir, 'packages', p, 'dist/out.txt'), 'utf8'), `${context}: restored ${p}`).toBe(expected(repo.dir, i)));
}

describe('a cached run under faults', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo(workspace());
  });
  afterAll(() => repo.cleanup());

  const rounds = testLength(8);
  it(`killed with SIGKILL at ${rounds} seeded moments, leaves a workspace the next run gets right and a cache of whole entries`, async () => {
    // Seeded, so a failing round is reproduced.
    const random = prng(20261206).next;
    for (let round = 0; round < rounds; round++) {
      // Change one or two projects so that the killed run has tasks to run and entries to store, not only restores.
      for (let k = 0; k < 1 + Math.floor(random() * 2); k++) {
        const p = PROJECTS[Math.floor(random() * PROJECTS.length)]!;
        writeFileSync(join(repo.dir, 'packages', p, 'src/in.txt'), `${p} ${round}.${k}\n`);
      }
      if (random() < 0.3) for (const p of PROJECTS) rmSync(join(repo.dir, 'packages', p, 'dist'), { recursive: true, force: true });
      const delay = Math.floor(random() * 600);
      const run = repo.startKiln(['run', '-t', 'build']);
      await new Promise((r) => setTimeout(r, delay));
      run.child.kill('SIGKILL');
      await run.done;
      // Tasks the killed kiln started may still be running: their process group outlives it only briefly.
      await new Promise((r) => setTimeout(r, 100));
      expectCorrectAndWhole(repo, `round ${round} (killed after ${delay} ms)`);
    }
  }, rounds * 15_000);

  it('four runs at once on one workspace all succeed, and leave a cache of whole entries', async () => {
    for (const p of PROJECTS) writeFileSync(join(repo.dir, 'packages', p, 'src/in.txt'), `${p} concurrent\n`);
    const runs = Array.from({ length: 4 }, () => repo.startKiln(['run', '-t', 'build', '--json']));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/corrupt|internal error/);
    }
    expectCorrectAndWhole(repo, 'after four concurrent runs');
  }, 120_000);
});
