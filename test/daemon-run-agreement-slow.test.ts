/**
 * `kiln run` through the daemon agrees with the direct path: two copies of one generated
 * workspace get the same random operations (source edits, creates, deletes, commits, edited and
 * removed outputs, removed cache entries, nothing at all), and after each one `kiln run -t build
 * --json` runs twice in each copy, through the daemon in one and with KILN_DAEMON=0 in the
 * other. The task set, the hashes, the statuses and where each result came from (cache hit or
 * miss) must be the same, and so must the outputs on disk. The daemon must have answered from
 * memory along the way (else this compares the direct path with itself). Seed fixed, printed on failure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateWorkspace, prng } from '../tools/bench/generate.mjs';
import { runnerEnv, testLength } from './helpers/env.js';
import { git, runKiln, startKiln, tempDir, testEnv } from './helpers/repo.js';

const SEED = Number(runnerEnv.KILN_AGREEMENT_SEED ?? 1414);
const STEPS = testLength(6);
const parent = tempDir('kiln-daemon-run-agree-');
// Waiting for the daemon's verdict whatever the load (a busy daemon is otherwise left after 150 ms).
const viaDaemon = { KILN_DAEMON: '1', KILN_DAEMON_IDLE_MS: '900000', KILN_DAEMON_RUN_WAIT_MS: '120000' };
const direct = { KILN_DAEMON: '0' };
const copies = { daemon: join(parent, 'daemon'), direct: join(parent, 'direct') };
afterAll(() => {
  runKiln(['daemon', 'stop'], { cwd: copies.daemon, env: viaDaemon });
});

interface Outcome {
  readonly tasks: { id: string; hash: string; status: string; cache: string }[];
  readonly code: number;
}

describe('kiln run through the daemon against the direct path', () => {
  it(`runs the same tasks with the same hashes and cache results through ${STEPS} random operations (seed ${SEED})`, async () => {
    const plan = generateWorkspace({ dir: copies.daemon, projects: 8, filesPerProject: [3, 5], seed: SEED, linkTools: false });
    execFileSync('cp', ['-a', copies.daemon, copies.direct]);
    const random = prng(SEED);
    const dirs = plan.projects.map((p) => p.dir);
    expect(runKiln(['daemon', 'start'], { cwd: copies.daemon, env: viaDaemon }).code).toBe(0);
    const sources = (root: string): string[] => dirs.flatMap((d) => (existsSync(join(root, d, 'src')) ? readdirSync(join(root, d, 'src')).map((f) => `${d}/src/${f}`) : []));
    const outputs = (root: string): string[] => dirs.flatMap((d) => (existsSync(join(root, d, 'dist')) ? readdirSync(join(root, d, 'dist')).map((f) => `${d}/dist/${f}`) : []));
    // Each operation picks its target once (from the daemon's copy) and applies it to both copies.
    const both = (apply: (root: string) => void): void => {
      apply(copies.daemon);
      apply(copies.direct);
    };
    const operations: Record<string, () => string> = {
      'edit source': () => {
        const f = random.pick(sources(copies.daemon));
        const line = `export const e${random.int(0, 1e6)} = 1;\n`;
        both((root) => writeFileSync(join(root, f), `${readFileSync(join(root, f), 'utf8')}${line}`));
        return f;
      },
      'create source': () => {
        const f = `${random.pick(dirs)}/src/n${random.int(0, 1e6)}.ts`;
        both((root) => writeFileSync(join(root, f), 'export const z = 1;\n'));
        return f;
      },
      'delete source': () => {
        const f = random.pick(sources(copies.daemon).filter((s) => !s.endsWith('/index.ts')));
        if (f) both((root) => rmSync(join(root, f)));
        return f ?? '-';
      },
      commit: () => {
        both((root) => {
          git(root, ['add', '-A'], testEnv());
          git(root, ['commit', '-q', '--allow-empty', '-m', 'step'], testEnv());
        });
        return 'committed';
      },
      'edit output': () => {
        const f = random.pick(outputs(copies.daemon));
        if (f) both((root) => writeFileSync(join(root, f), 'edited by hand\n'));
        return f ?? '-';
      },
      'delete output': () => {
        const f = random.pick(outputs(copies.daemon));
        if (f) both((root) => rmSync(join(root, f)));
        return f ?? '-';
      },
      'delete output folder': () => {
        const d = `${random.pick(dirs)}/dist`;
        both((root) => rmSync(join(root, d), { recursive: true, force: true }));
        return d;
      },
      'remove cache entries': () => {
        // The same entries in both copies: the hashes agree (or the comparison below says so).
        const entries = join(copies.daemon, '.kiln/cache/entries');
        const names = existsSync(entries) ? readdirSync(entries).filter(() => random.next() < 0.3) : [];
        both((root) => {
          for (const n of names) rmSync(join(root, '.kiln/cache/entries', n), { recursive: true, force: true });
        });
        return `${names.length} entries`;
      },
      nothing: () => 'nothing',
    };
    const kinds = Object.keys(operations);
    const log: string[] = [];
    let fromMemory = 0;
    // Started, not run synchronously: the test's worker keeps answering its runner meanwhile.
    const run = async (root: string, env: Record<string, string>): Promise<Outcome & { stderr: string }> => {
      const r = await startKiln(['run', '-t', 'build', '--json', '--verbose'], { cwd: root, env }).done;
      const tasks = r.code <= 1 ? (JSON.parse(r.stdout) as Outcome).tasks.map(({ id, hash, status, cache }) => ({ id, hash, status, cache })) : [];
      return { tasks, code: r.code, stderr: r.stderr };
    };
    for (let step = 1; step <= STEPS; step++) {
      const kind = random.pick(kinds);
      log.push(`${step} ${kind}: ${operations[kind]!()}`);
      const context = `seed ${SEED}, step ${step}\n${log.slice(-8).join('\n')}`;
      for (const round of [1, 2]) {
        // The direct copy first: meanwhile the daemon checks what the last run left (as it does after any build).
        const x = await run(copies.direct, direct);
        const d = await run(copies.daemon, viaDaemon);
        expect(d.stderr, `${context}\nround ${round}`).toMatch(/daemon: /);
        if (/daemon: answered from memory/.test(d.stderr)) fromMemory++;
        expect({ code: d.code, tasks: d.tasks }, `${context}\nround ${round}\ndaemon stderr: ${d.stderr.slice(-2000)}`).toEqual({ code: x.code, tasks: x.tasks });
        expect(
          outputs(copies.daemon).map((f) => [f, readFileSync(join(copies.daemon, f), 'utf8')]),
          `${context}\nround ${round}: outputs`,
        ).toEqual(outputs(copies.direct).map((f) => [f, readFileSync(join(copies.direct, f), 'utf8')]));
      }
    }
    expect(fromMemory, `answers from memory in ${2 * STEPS} runs`).toBeGreaterThan(STEPS / 3);
    const status = runKiln(['daemon', 'status', '--json'], { cwd: copies.daemon, env: viaDaemon });
    expect(status.json<{ trouble: string | null }>().trouble).toBeNull();
  }, STEPS * 90_000);
});
