/**
 * The daemon agrees with the direct path, always: 40 random operations (`testLength`) in a real git workspace
 * (edits, creates, deletes, renames, new folders, project.json and package.json edits, commits,
 * branch switches, stash and pop), and after each one the answers of `affected` (as `kiln affected
 * --json` asks it) and `hash P:build` from the real daemon (asked over its socket) must equal the
 * direct answers (the same operations run in this process); every 5th step the daemon is asked
 * twice, so answers from memory are compared too. Every 20th step the real CLI is
 * compared too: through the daemon (--verbose must say it answered) and with KILN_DAEMON=0. The
 * seed is fixed and printed on failure.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateWorkspace, prng } from '../tools/bench/generate.mjs';
import { runnerEnv, testLength } from './helpers/env.js';
import { git, runKiln, startKiln, tempDir, testEnv } from './helpers/repo.js';

const SEED = Number(runnerEnv.KILN_AGREEMENT_SEED ?? 1414);
const STEPS = testLength(40);
const dir = tempDir('kiln-daemon-agree-');
const viaDaemon = { KILN_DAEMON: '1', KILN_DAEMON_IDLE_MS: '900000' };
const direct = { KILN_DAEMON: '0' };
// The direct answers run in this process, as the daemon's run in its own: without git's optional index lock, so a git status
// one of them started and left finishing never makes the next step's git command fail on index.lock.
const optionalLocks = process.env.GIT_OPTIONAL_LOCKS;
process.env.GIT_OPTIONAL_LOCKS = '0';
afterAll(() => {
  if (optionalLocks === undefined) delete process.env.GIT_OPTIONAL_LOCKS;
  else process.env.GIT_OPTIONAL_LOCKS = optionalLocks;
  runKiln(['daemon', 'stop'], { cwd: dir, env: viaDaemon });
});

describe('the daemon against the direct path', () => {
  it(`gives the same answers through ${STEPS} random operations (seed ${SEED})`, async () => {
    const plan = generateWorkspace({ dir, projects: 8, filesPerProject: [3, 5], seed: SEED, linkTools: false });
    const sh = (...args: string[]): string => git(dir, args, testEnv());
    const random = prng(SEED);
    const names = plan.projects.map((p) => p.name);
    const dirs = plan.projects.map((p) => p.dir);
    // A second branch to switch to, with its own changes.
    sh('checkout', '-q', '-b', 'feature');
    writeFileSync(join(dir, dirs[1]!, 'src/feature.ts'), 'export const feature = 1;\n');
    sh('add', '-A');
    sh('commit', '-q', '-m', 'feature');
    sh('checkout', '-q', 'main');

    const started = runKiln(['daemon', 'start'], { cwd: dir, env: viaDaemon });
    expect(started.code, started.stderr).toBe(0);
    const log: string[] = [];
    const sources = (): string[] => dirs.flatMap((d) => (existsSync(join(dir, d, 'src')) ? readdirSync(join(dir, d, 'src')).map((f) => `${d}/src/${f}`) : []));
    const dirty = (): boolean => sh('status', '--porcelain').trim() !== '';
    const editJson = (file: string, change: (j: Record<string, any>) => void): void => {
      const path = join(dir, file);
      const j = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
      change(j);
      writeFileSync(path, `${JSON.stringify(j, null, 2)}\n`);
    };
    const operations: Record<string, () => string> = {
      edit: () => {
        const f = random.pick(sources());
        writeFileSync(join(dir, f), `${readFileSync(join(dir, f), 'utf8')}export const e${random.int(0, 1e6)} = 1;\n`);
        return f;
      },
      create: () => {
        const f = `${random.pick(dirs)}/src/n${random.int(0, 1e6)}.ts`;
        writeFileSync(join(dir, f), random.next() < 0.5 ? `import { x } from '${random.pick(names)}';\nexport const y = x;\n` : 'export const z = 1;\n');
        return f;
      },
      delete: () => {
        const f = random.pick(sources().filter((s) => !s.endsWith('/index.ts')));
        if (f) rmSync(join(dir, f), { recursive: true });
        return f ?? '-';
      },
      rename: () => {
        const f = random.pick(sources().filter((s) => !s.endsWith('/index.ts')));
        if (!f) return '-';
        const to = `${random.pick(dirs)}/src/r${random.int(0, 1e6)}.ts`;
        renameSync(join(dir, f), join(dir, to));
        return `${f} -> ${to}`;
      },
      'new folder': () => {
        const d = `${random.pick(dirs)}/src/sub${random.int(0, 1e6)}`;
        mkdirSync(join(dir, d));
        writeFileSync(join(dir, d, 'deep.ts'), 'export const deep = 1;\n');
        return d;
      },
      'package.json': () => {
        const i = random.int(1, dirs.length - 1);
        const on = names[random.int(0, i - 1)]!;
        editJson(`${dirs[i]}/package.json`, (j) => {
          j.dependencies ??= {};
          if (j.dependencies[on]) delete j.dependencies[on];
          else j.dependencies[on] = '*';
        });
        return `${dirs[i]} dependency on ${on}`;
      },
      'project.json': () => {
        const d = random.pick(dirs);
        editJson(`${d}/project.json`, (j) => {
          j.tags = [`t${random.int(0, 3)}`];
          if (random.next() < 0.5) j.implicitDependencies = [random.pick(names)].filter((n) => !n.endsWith(d.slice(-5)));
          else delete j.implicitDependencies;
        });
        return d;
      },
      commit: () => {
        sh('add', '-A');
        sh('commit', '-q', '--allow-empty', '-m', 'step');
        return sh('rev-parse', '--short', 'HEAD').trim();
      },
      'switch branch': () => {
        if (dirty()) {
          sh('add', '-A');
          // --allow-empty: once in ~600 steps under load, git status listed a change that add -A then
          // did not stage, and the commit found nothing (git's own view; the step only needs a clean tree).
          sh('commit', '-q', '--allow-empty', '-m', 'before switching');
        }
        const to = sh('rev-parse', '--abbrev-ref', 'HEAD').trim() === 'main' ? 'feature' : 'main';
        sh('checkout', '-q', to);
        return to;
      },
      stash: () => {
        if (!dirty()) return 'clean';
        sh('stash', 'push', '-q', '-u');
        return 'stashed';
      },
      pop: () => {
        if (sh('stash', 'list').trim() === '') return 'none';
        try {
          sh('stash', 'pop', '-q');
          return 'popped';
        } catch {
          sh('reset', '-q', '--hard');
          sh('clean', '-fdq');
          sh('stash', 'drop', '-q');
          return 'conflict: dropped';
        }
      },
    };
    const kinds = Object.keys(operations);
    let fromMemory = 0;
    const [{ askDaemon }, { affected }, { taskHash }, { buildIdentity }] = await Promise.all([
      import('../packages/core/src/daemon/index.js'),
      import('../packages/core/src/api/affected.js'),
      import('../packages/core/src/api/hash.js'),
      // The built CLI's identity, which the daemon it started has.
      import('../packages/cli/dist/version.js' as string) as Promise<{ buildIdentity(): string }>,
    ]);
    const env = testEnv(viaDaemon) as Record<string, string>;
    // How the graph was found (saved, updated, built) is the process's own business, not part of the answer.
    const answerOf = (v: unknown): unknown => {
      const { graphSource: _, ...rest } = JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
      return rest;
    };
    const directly = async (job: () => Promise<unknown>): Promise<unknown> => {
      try {
        return { value: answerOf(await job()) };
      } catch (error) {
        return { error: (error as { diagnostics?: unknown }).diagnostics ?? String(error) };
      }
    };
    let retried = 0;
    const fromDaemon = async (op: string, args: unknown): Promise<unknown> => {
      let asked = await askDaemon({ root: dir, op, args, cwd: dir, env, version: buildIdentity() });
      // A daemon that cannot prove its state says so (the CLI would answer directly); on a loaded machine, ask again once.
      if (asked.kind === 'unprovable' && retried++ < 5) asked = await askDaemon({ root: dir, op, args, cwd: dir, env, version: buildIdentity() });
      if (asked.kind === 'answer') {
        if (asked.source === 'memory') fromMemory++;
        return { value: answerOf(asked.value) };
      }
      if (asked.kind === 'error') return { error: JSON.parse(JSON.stringify(asked.diagnostics)) };
      return { unanswered: asked.reason };
    };
    const ask = (args: string[], env: Record<string, string>) => startKiln(args, { cwd: dir, env }).done;
    for (let step = 1; step <= STEPS; step++) {
      const kind = random.pick(kinds);
      log.push(`${step} ${kind}: ${operations[kind]!()}`);
      const task = `${random.pick(names)}:build`;
      const context = `seed ${SEED}, step ${step}\n${log.slice(-8).join('\n')}`;
      const request = { failOpen: false, owners: true };
      const answered = await fromDaemon('affected', request);
      // Asked again with nothing changed in between, the daemon may answer from memory: the same answer.
      if (step % 5 === 0) expect(await fromDaemon('affected', request), `${context}\naffected, asked again`).toEqual(answered);
      expect(answered, `${context}\naffected`).toEqual(await directly(() => affected({ ...request, cwd: dir, env })));
      expect(await fromDaemon('hash', { spec: task }), `${context}\nhash ${task}`).toEqual(await directly(() => taskHash(dir, task)));
      if (step % 20 === 0) {
        const asked = [['affected', '--json'], ['hash', task, '--json']].map((args) => ({ args, both: Promise.all([ask([...args, '--verbose'], viaDaemon), ask(args, direct)]) }));
        for (const { args, both } of asked) {
          const [d, expected] = await both;
          const cli = `${context}\nkiln ${args.join(' ')}\ndaemon stderr: ${d.stderr}`;
          expect(d.stderr, cli).toMatch(/daemon: answered (from memory|by the daemon)/);
          expect({ code: d.code, stdout: d.stdout }, cli).toEqual({ code: expected.code, stdout: expected.stdout });
        }
      }
    }
    // The agreement covered answers from memory too, not only fresh computations.
    expect(fromMemory).toBeGreaterThan(0);
    const status = await ask(['daemon', 'status', '--json'], viaDaemon);
    expect(status.code).toBe(0);
    expect(status.json<{ trouble: string | null }>().trouble).toBeNull();
  }, STEPS * 15_000);
});
