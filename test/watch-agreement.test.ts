/**
 * `kiln watch` judges each batch of changes from the workspace it holds in memory; that judgement
 * must be `kiln affected -t build --files <the batch>`'s, always. A real workspace, a real watch
 * (`--verbose` prints each judgement as a JSON line), random operations: edits, edits that add an
 * import of another project (the graph's edges move; always of a project below, so no cycle),
 * creates, deletes, renames within and across projects, editors' atomic saves, new folders,
 * folders removed or moved out whole, package.json and project.json edits. After each, the watch's
 * last judgement is compared with the direct answer for the same files. The seed is fixed and
 * printed on failure (WATCH_AGREEMENT_SEED sets another).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateWorkspace, prng } from '../tools/bench/generate.mjs';
import { runnerEnv, testLength } from './helpers/env.js';
import { runKiln, startKiln, tempDir } from './helpers/repo.js';

const SEED = Number(runnerEnv.WATCH_AGREEMENT_SEED ?? 2020);
const STEPS = testLength(12);
const dir = tempDir('kiln-watch-agree-');
const outside = tempDir('kiln-watch-moved-');
afterAll(() => {
  for (const d of [dir, outside]) rmSync(d, { recursive: true, force: true });
});

interface Judged {
  readonly from: 'memory' | 'direct';
  readonly paths: string[];
  readonly projects: string[] | 'all';
}

describe('kiln watch against kiln affected --files', () => {
  it(`judges every batch as kiln affected does, through ${STEPS} random operations (seed ${SEED})`, async () => {
    const plan = generateWorkspace({ dir, projects: 8, filesPerProject: [3, 5], seed: SEED, linkTools: false });
    const random = prng(SEED);
    const names: string[] = plan.projects.map((p: { name: string }) => p.name);
    const dirs: string[] = plan.projects.map((p: { dir: string }) => p.dir);
    // A project below the one at `path` (the generator's dependencies point downwards): importing it makes no cycle.
    const below = (path: string): string | undefined => {
      const at = dirs.findIndex((d) => path.startsWith(`${d}/`));
      return at > 0 ? names[random.int(0, at - 1)] : undefined;
    };
    const env = { KILN_DAEMON: '0' };
    const watch = startKiln(['watch', '-t', 'build', '--verbose', '--parallel', '1'], { cwd: dir, env });
    let err = '';
    watch.child.stderr!.on('data', (s: Buffer | string) => (err += s.toString()));
    const judgedSince = (mark: number): Judged[] => [...err.slice(mark).matchAll(/^judged (\{.*\})$/gm)].map((m) => JSON.parse(m[1]!) as Judged);
    const until = async (ok: () => boolean, what: string): Promise<void> => {
      for (let waited = 0; !ok(); waited += 20) {
        if (waited > 30_000) throw new Error(`seed ${SEED}: timed out waiting for ${what}\n${err.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const log: string[] = [];
    try {
      await until(() => err.includes('idle: watching'), 'the first run');
      expect(err).toContain('judging changes from the workspace held in memory');
      const sources = (): string[] =>
        dirs.flatMap((d) =>
          existsSync(join(dir, d, 'src'))
            ? readdirSync(join(dir, d, 'src'))
                .filter((f) => f.endsWith('.ts'))
                .map((f) => `${d}/src/${f}`)
            : [],
        );
      const append = (f: string, text: string): void => writeFileSync(join(dir, f), `${readFileSync(join(dir, f), 'utf8')}${text}`);
      const editJson = (file: string, change: (j: Record<string, any>) => void): void => {
        const j = existsSync(join(dir, file)) ? JSON.parse(readFileSync(join(dir, file), 'utf8')) : {};
        change(j);
        writeFileSync(join(dir, file), `${JSON.stringify(j, null, 2)}\n`);
      };
      // Each returns the paths it changed (the last one is awaited in a judgement).
      const operations: Record<string, () => string[]> = {
        edit: () => {
          const f = random.pick(sources());
          append(f, `export const e${random.int(0, 1e6)} = 1;\n`);
          return [f];
        },
        'add an import': () => {
          const f = random.pick(sources());
          const on = below(f);
          append(f, on === undefined ? 'export const none = 1;\n' : `import { x${random.int(0, 1e6)} } from '${on}';\n`);
          return [f];
        },
        create: () => {
          const f = `${random.pick(dirs)}/src/n${random.int(0, 1e6)}.ts`;
          const on = below(f);
          writeFileSync(join(dir, f), on !== undefined && random.next() < 0.6 ? `import { x } from '${on}';\nexport const y = x;\n` : 'export const z = 1;\n');
          return [f];
        },
        delete: () => {
          const f = random.pick(sources().filter((s) => !s.endsWith('/index.ts')));
          if (f === undefined) return [];
          rmSync(join(dir, f));
          return [f];
        },
        rename: () => {
          const f = random.pick(sources().filter((s) => !s.endsWith('/index.ts')));
          if (f === undefined) return [];
          // Within its project or to one above it: the imports it carries still point downwards.
          const to = `${random.pick(dirs.slice(dirs.findIndex((d) => f.startsWith(`${d}/`))))}/src/r${random.int(0, 1e6)}.ts`;
          renameSync(join(dir, f), join(dir, to));
          return [f, to];
        },
        'atomic save': () => {
          const f = random.pick(sources());
          writeFileSync(join(dir, `${f}.tmp~`), `${readFileSync(join(dir, f), 'utf8')}// saved ${random.int(0, 1e6)}\n`);
          renameSync(join(dir, `${f}.tmp~`), join(dir, f));
          return [f];
        },
        'new folder': () => {
          const folder = `${random.pick(dirs)}/src/sub${random.int(0, 1e6)}`;
          const on = below(folder);
          mkdirSync(join(dir, folder));
          writeFileSync(join(dir, folder, 'deep.ts'), on === undefined ? 'export const deep = 1;\n' : `import { x } from '${on}';\nexport const deep = x;\n`);
          return [folder, `${folder}/deep.ts`];
        },
        // A folder removed whole, or moved out of the workspace (then only the folder itself is reported): its files' imports go.
        'folder gone': () => {
          const folders = dirs.flatMap((d) =>
            existsSync(join(dir, d, 'src'))
              ? readdirSync(join(dir, d, 'src'))
                  .filter((f) => f.startsWith('sub'))
                  .map((f) => `${d}/src/${f}`)
              : [],
          );
          const folder = random.pick(folders);
          if (folder === undefined) return [];
          if (random.next() < 0.5) rmSync(join(dir, folder), { recursive: true });
          else renameSync(join(dir, folder), join(outside, `${folder.replaceAll('/', '-')}`));
          return [folder];
        },
        'package.json': () => {
          const file = `${random.pick(dirs.slice(1))}/package.json`;
          const on = below(file)!;
          // A dependency on a project below, added or dropped (JSON leaves an undefined value out).
          editJson(file, (j) => (j.dependencies = { ...j.dependencies, [on]: j.dependencies?.[on] ? undefined : '*' }));
          return [file];
        },
        'project.json': () => {
          const d = random.pick(dirs);
          editJson(`${d}/project.json`, (j) => {
            j.tags = [`t${random.int(0, 3)}`];
          });
          return [`${d}/project.json`];
        },
      };
      const kinds = Object.keys(operations);
      let fromMemory = 0;
      /** Makes a change, waits for the watch's judgement of it, and compares the last one with the direct answer. */
      const check = async (step: string, change: () => string[]): Promise<string[] | undefined> => {
        const mark = err.length;
        const paths = change();
        log.push(`${step}: ${paths.join(' -> ') || '-'}`);
        if (paths.length === 0) return undefined;
        const context = (): string => `seed ${SEED}, step ${step}\n${log.slice(-8).join('\n')}\n--- watch:\n${err.slice(mark).slice(-2000)}`;
        await until(() => judgedSince(mark).some((j) => j.paths.includes(paths.at(-1)!)), `a judgement of ${paths.at(-1)}\n${context()}`);
        // Quiet: no other batch is on its way (an atomic save's two events may be two batches).
        for (let seen = -1; seen !== judgedSince(mark).length;) {
          seen = judgedSince(mark).length;
          await new Promise((r) => setTimeout(r, 150));
        }
        const last = judgedSince(mark).at(-1)!;
        if (last.from === 'memory') fromMemory++;
        const direct = runKiln(['affected', '-t', 'build', '--files', last.paths.join(','), '--json'], { cwd: dir, env });
        expect(direct.code, `${context()}\n${direct.stderr}`).toBe(0);
        const expected = [...new Set<string>(direct.json<{ tasks: string[] }>().tasks.map((id) => id.slice(0, id.lastIndexOf(':'))))].sort();
        expect(last.projects === 'all' ? 'all' : [...last.projects].sort(), `${context()}\nkiln affected --files ${last.paths.join(',')}`).toEqual(expected);
        return expected;
      };
      // First, on purpose: a project that does not depend on the bottom one imports it from a new folder, the folder is moved
      // out whole (only the folder itself is reported), and the bottom one changes: the importer is no longer its dependent.
      const edit = (f: string) => () => (append(f, `export const e${random.int(0, 1e6)} = 1;\n`), [f]);
      const bottomFile = `${dirs[0]}/src/index.ts`;
      const before = (await check('prelude: edit the bottom project', edit(bottomFile))) ?? [];
      const free = names.findIndex((n, i) => i > 0 && !before.includes(n));
      expect(free, 'a project that does not depend on the bottom one').toBeGreaterThan(0);
      const linked = `${dirs[free]}/src/linked`;
      await check('prelude: import it from a new folder', () => {
        mkdirSync(join(dir, linked));
        writeFileSync(join(dir, linked, 'deep.ts'), `import { x } from '${names[0]}';\nexport const deep = x;\n`);
        return [linked, `${linked}/deep.ts`];
      });
      expect(await check('prelude: edit the bottom project again', edit(bottomFile))).toContain(names[free]);
      await check('prelude: move the folder out', () => (renameSync(join(dir, linked), join(outside, 'linked')), [linked]));
      expect(await check('prelude: edit the bottom project once more', edit(bottomFile))).not.toContain(names[free]);
      // The watch plans from memory, re-hashing only what changed since its previous plan: once it is idle, every task it
      // restored or built is in the cache under the hash the direct path computes (`kiln run --dry=json`: nothing would run).
      const sameHashes = async (step: string): Promise<void> => {
        await until(() => /idle: watching[^\n]*\n?$/.test(err), `the run after ${step}`);
        const dry = runKiln(['run', '-t', 'build', '--dry=json'], { cwd: dir, env });
        const wouldRun = dry.json<{ tasks: { id: string; hash: string; action: string }[] }>().tasks.filter((t) => t.action === 'run');
        expect(wouldRun, `seed ${SEED}, after step ${step}\n${log.slice(-8).join('\n')}`).toEqual([]);
      };
      for (let step = 1; step <= STEPS; step++) {
        const kind = random.pick(kinds);
        await check(`${step} ${kind}`, operations[kind]!);
        if (step % 10 === 0) await sameHashes(`${step} ${kind}`);
      }
      // Most batches were answered from memory (the configuration edits are answered directly).
      expect(fromMemory, log.join('\n')).toBeGreaterThan(STEPS / 3);
      // The watch hashed from memory too: once it is idle, every task it built is in the cache under the hash `kiln run` computes.
      await until(() => /idle: watching[^\n]*\n?$/.test(err), 'the last run');
      const again = runKiln(['run', '-t', 'build', '--json'], { cwd: dir, env });
      const missed = again.json<{ tasks: { id: string; cache: string }[] }>().tasks.filter((t) => t.cache === 'miss');
      expect(missed, `seed ${SEED}\n${log.join('\n')}`).toEqual([]);
    } finally {
      watch.child.kill('SIGINT');
      const r = await watch.done;
      expect(r.code, `seed ${SEED}\n${err.slice(-2000)}`).toBe(130);
    }
  }, 60_000 + STEPS * 4_000);
});
