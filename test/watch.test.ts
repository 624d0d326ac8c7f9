/**
 * `kiln watch` end to end: a real workspace, the real binary, real tasks. A saved file starts the
 * right task and no other; a burst of 2,000 files is one run; a configuration edit is read at
 * once; a task whose input changes while it runs is stopped (its process tree too) and started
 * again; Ctrl-C leaves no process and no half-written cache entry.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepo, processExists, type TempRepo } from './helpers/repo.js';

const build = (name: string) => `mkdir -p dist && cp src/*.ts dist/ 2>/dev/null; echo built ${name}`;
const workspace = {
  'package.json': { name: 'w', private: true, workspaces: ['p/*'] },
  'nx.json': { targetDefaults: { build: { dependsOn: ['^build'], cache: true, outputs: ['{projectRoot}/dist'] } } },
  '.gitignore': '.kiln\nmarker*\n',
  'p/a/package.json': { name: 'a', scripts: { build: build('a') } },
  'p/a/src/index.ts': 'export const a = 1;\n',
  'p/b/package.json': { name: 'b', dependencies: { a: '*' }, scripts: { build: build('b') } },
  'p/b/src/index.ts': "import { a } from 'a';\nexport const b = a;\n",
  'p/c/package.json': { name: 'c', scripts: { build: build('c') } },
  'p/c/src/index.ts': 'export const c = 1;\n',
};

/** A running `kiln watch`, its stderr as it grows. */
function watch(repo: TempRepo, args: string[] = []) {
  const k = repo.startKiln(['watch', '-t', 'build', ...args]);
  let err = '';
  k.child.stderr!.on('data', (s: Buffer | string) => (err += s.toString()));
  const idles = (): number => err.split('idle: watching').length - 1;
  return {
    k,
    output: () => err,
    /** Resolves once the watch has gone idle `n` times (each run ends idle). */
    async idle(n: number): Promise<string> {
      for (let waited = 0; idles() < n; waited += 25) {
        if (waited > 30_000) throw new Error(`kiln watch did not go idle ${n} times:\n${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return err;
    },
    async stop() {
      k.child.kill('SIGINT');
      return k.done;
    },
  };
}

const after = (text: string, marker: string): string => text.slice(text.lastIndexOf(marker));
const starts = (text: string): string[] => [...text.matchAll(/^start (\S+)$/gm)].map((m) => m[1]!).sort();

let repo: TempRepo | undefined;
afterEach(() => repo?.cleanup());

describe('kiln watch', () => {
  it('runs the tasks a saved file affects and no other, a 2,000-file burst once, and reads a configuration edit', async () => {
    repo = createRepo(workspace);
    const w = watch(repo);
    try {
      const first = await w.idle(1);
      expect(starts(first)).toEqual(['a:build', 'b:build', 'c:build']);
      writeFileSync(join(repo.dir, 'p/c/src/index.ts'), 'export const c = 2;\n');
      const saved = after(await w.idle(2), 'changed p/c/src/index.ts');
      expect(starts(saved)).toEqual(['c:build']);
      writeFileSync(join(repo.dir, 'p/a/src/index.ts'), 'export const a = 2;\n');
      expect(starts(after(await w.idle(3), 'changed p/a/src/index.ts'))).toEqual(['a:build', 'b:build']);
      // 2,000 files at once: one batch, one run.
      for (let i = 0; i < 2000; i++) writeFileSync(join(repo.dir, `p/c/src/gen${i}.ts`), `export const g${i} = ${i};\n`);
      const all = await w.idle(4);
      const burst = all.slice(all.indexOf('changed p/c/src/gen'));
      expect(burst.match(/^(running|restarting) /gm)).toHaveLength(1);
      expect(starts(burst)).toEqual(['c:build']);
      // A configuration edit is read at once: b's new build command runs.
      writeFileSync(join(repo.dir, 'p/b/package.json'), JSON.stringify({ name: 'b', dependencies: { a: '*' }, scripts: { build: 'echo rebuilt b' } }));
      const reloaded = after(await w.idle(5), 'changed p/b/package.json');
      expect(reloaded).toContain('(configuration: reloading)');
      expect(reloaded).toContain('rebuilt b');
      expect(starts(reloaded)).toContain('b:build');
      expect(starts(reloaded)).not.toContain('c:build');
    } finally {
      expect((await w.stop()).code).toBe(130);
    }
    // Its own outputs never triggered a run: five idles, five runs.
    expect(w.output().match(/^(running|restarting) /gm)).toHaveLength(5);
  }, 60_000);

  it('restarts a task whose input changes while it runs, and leaves nothing on Ctrl-C', async () => {
    repo = createRepo({
      ...workspace,
      // Says it started (with its pid), then waits for a file that never comes.
      'p/s/package.json': { name: 's', scripts: { build: "sh -c 'echo $$ >> ../../marker-pids; while [ ! -f never ]; do sleep 0.05; done'" } },
      'p/s/src/index.ts': 'export const s = 1;\n',
    });
    const w = watch(repo, ['-p', 's']);
    const pids = (): number[] => (existsSync(join(repo!.dir, 'marker-pids')) ? readFileSync(join(repo!.dir, 'marker-pids'), 'utf8').trim().split('\n').map(Number) : []);
    const until = async (ok: () => boolean): Promise<void> => {
      for (let waited = 0; !ok(); waited += 25) {
        if (waited > 20_000) throw new Error(`timed out:\n${w.output()}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    await until(() => pids().length === 1);
    writeFileSync(join(repo.dir, 'p/s/src/index.ts'), 'export const s = 2;\n');
    await until(() => pids().length === 2);
    expect(w.output()).toMatch(/^restarting build/m);
    // The first task's process tree is gone (reaped a moment later).
    await until(() => !processExists(pids()[0]!));
    const r = await w.stop();
    expect(r.code).toBe(130);
    await until(() => !processExists(pids()[1]!));
    const tmp = join(repo.dir, '.kiln/cache/tmp');
    expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
    const entries = join(repo.dir, '.kiln/cache/entries');
    // Only the three finished builds were stored; nothing of s.
    expect((existsSync(entries) ? readdirSync(entries) : []).length).toBeLessThanOrEqual(3);
  }, 60_000);
});

