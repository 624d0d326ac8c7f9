/**
 * The benchmark's smoke mode, end to end: on a generated workspace, kiln, nx and turbo each run
 * every scenario once; the run fails if a tool fails where it should succeed or if the tools
 * disagree on projects, graph edges or affected projects. kiln commands that have not landed
 * yet are reported as n/a. Ten projects rather than the smoke's default twenty: every scenario
 * and every agreement check still runs, with a quarter less work (most of it nx starting up and
 * running package scripts), which keeps the test well inside its time on a loaded 2-core machine.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot, start } from './helpers/repo.js';

it('runs every scenario with every tool and the tools agree', async () => {
  const r = await start(process.execPath, [join(repoRoot, 'tools/bench/run.mjs'), '--smoke', '--size', '10'], { cwd: repoRoot }).done;
  expect(r.stderr).toContain('bench --smoke: every tool exited 0 where expected and the tools agree');
  expect(r.code).toBe(0);
  for (const id of ['1', '2a', '2b', '3a', '3b', '4', '5a', '5b', '6', '7']) expect(r.stdout).toMatch(new RegExp(`^\\| ${id}\\. `, 'm'));
  expect(r.stdout).toMatch(/affected projects: kiln 4, nx 4, turbo 4 \(identical\)/);
  // 100 s on a 2-core machine at load average 13.
}, 240_000);
