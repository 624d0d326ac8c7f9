/**
 * The benchmark's smoke mode, end to end: a 20-project workspace, kiln, nx and turbo each run
 * every scenario once; the run fails if a tool fails where it should succeed or if the tools
 * disagree on projects, graph edges or affected projects. kiln commands that have not landed
 * yet are reported as n/a. (CI also runs it as `npm run bench -- --smoke`.)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from './helpers/repo.js';

/** Runs without blocking the test worker (a blocked worker cannot report to vitest for a minute). */
function runSmoke(): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'tools/bench/run.mjs'), '--smoke'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

it('runs every scenario with every tool and the tools agree', async () => {
  const r = await runSmoke();
  expect(r.stderr).toContain('bench --smoke: every tool exited 0 where expected and the tools agree');
  expect(r.status).toBe(0);
  for (const id of ['1', '2a', '2b', '3a', '3b', '4', '5a', '5b', '6', '7']) expect(r.stdout).toMatch(new RegExp(`^\\| ${id}\\. `, 'm'));
  expect(r.stdout).toMatch(/affected projects: .*nx 5, turbo 5 \(identical\)/);
}, 240_000);
