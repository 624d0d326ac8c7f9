/**
 * The daemon agrees with the direct path, always: 200 random operations in a real git workspace
 * (edits, creates, deletes, renames, project.json and package.json edits, commits, branch
 * switches, stash and pop), and after each one `kiln affected --json` and `kiln hash P:build
 * --json` through the real daemon must print what they print with KILN_DAEMON=0. Each daemon-side
 * answer must really come from the daemon (--verbose says so). The seed is fixed and printed on failure.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateWorkspace, prng } from '../tools/bench/generate.mjs';
import { git, runKiln, startKiln, tempDir, testEnv } from './helpers/repo.js';

const SEED = Number(process.env.KILN_AGREEMENT_SEED ?? 1414);
const STEPS = 200;
const dir = tempDir('kiln-daemon-agree-');
const viaDaemon = { KILN_DAEMON: '1', KILN_DAEMON_IDLE_MS: '900000' };
const direct = { KILN_DAEMON: '0' };
afterAll(() => {
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
          sh('commit', '-q', '-m', 'before switching');
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
    const ask = (args: string[], env: Record<string, string>) => startKiln(args, { cwd: dir, env }).done;
    let fromMemory = 0;
    for (let step = 1; step <= STEPS; step++) {
      const kind = random.pick(kinds);
      log.push(`${step} ${kind}: ${operations[kind]!()}`);
      const task = `${random.pick(names)}:build`;
      // Both questions, each both ways, at once: the daemon must be right while the direct path works beside it.
      const asked = [['affected', '--json'], ['hash', task, '--json']].map((args) => ({ args, both: Promise.all([ask([...args, '--verbose'], viaDaemon), ask(args, direct)]) }));
      for (const { args, both } of asked) {
        const [d, expected] = await both;
        const context = `seed ${SEED}, step ${step}, kiln ${args.join(' ')}\n${log.slice(-8).join('\n')}\ndaemon stderr: ${d.stderr}`;
        expect(d.stderr, context).toMatch(/daemon: answered (from memory|by the daemon)/);
        if (d.stderr.includes('from memory')) fromMemory++;
        expect({ code: d.code, stdout: d.stdout }, context).toEqual({ code: expected.code, stdout: expected.stdout });
      }
    }
    // The agreement covered answers from memory too, not only fresh computations.
    expect(fromMemory).toBeGreaterThan(0);
    const status = await ask(['daemon', 'status', '--json'], viaDaemon);
    expect(status.code).toBe(0);
    expect(status.json<{ trouble: string | null }>().trouble).toBeNull();
  }, 900_000);
});
