/**
 * `kiln watch` and the daemon share one watcher: with a daemon running, the watch subscribes to
 * its change batches (no second watch over the tree), a real save starts the right task and no
 * other, and when the daemon stops the watch says so (--verbose), watches for itself and still
 * sees the next save. With KILN_DAEMON=0 it never asks.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from './helpers/repo.js';

const on = { KILN_DAEMON: '1', KILN_DAEMON_IDLE_MS: '120000' };
const workspace = {
  'package.json': { name: 'w', private: true, workspaces: ['p/*'] },
  'nx.json': { targetDefaults: { build: { dependsOn: ['^build'], cache: true } } },
  '.gitignore': '.kiln\n',
  'p/a/package.json': { name: 'a', scripts: { build: 'echo built a' } },
  'p/a/src/index.ts': 'export const a = 1;\n',
  'p/b/package.json': { name: 'b', dependencies: { a: '*' }, scripts: { build: 'echo built b' } },
  'p/b/src/index.ts': "import { a } from 'a';\nexport const b = a;\n",
  'p/c/package.json': { name: 'c', scripts: { build: 'echo built c' } },
  'p/c/src/index.ts': 'export const c = 1;\n',
};

let repo: TempRepo | undefined;
afterEach(() => {
  repo?.kiln(['daemon', 'stop'], { env: on });
  repo?.cleanup();
});

const starts = (text: string): string[] => [...text.matchAll(/^start (\S+)$/gm)].map((m) => m[1]!).sort();

describe('kiln watch with the daemon', () => {
  it("subscribes to the daemon's batches, runs what a save affects, and watches for itself once the daemon stops", async () => {
    repo = createRepo(workspace);
    const started = repo.kiln(['daemon', 'start'], { env: on });
    expect(started.code, started.stderr).toBe(0);
    const k = repo.startKiln(['watch', '-t', 'build', '--verbose'], { env: on });
    let err = '';
    k.child.stderr!.on('data', (s: Buffer | string) => (err += s.toString()));
    const until = async (ok: () => boolean, what: string): Promise<void> => {
      for (let waited = 0; !ok(); waited += 25) {
        if (waited > 30_000) throw new Error(`timed out waiting for ${what}:\n${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const idles = (): number => err.split('idle: watching').length - 1;
    try {
      await until(() => idles() === 1, 'the first run');
      expect(err).toContain("daemon: sharing the daemon's watcher");
      expect(err).toContain('watching through the daemon for build');
      let mark = err.length;
      writeFileSync(join(repo.dir, 'p/c/src/index.ts'), 'export const c = 2;\n');
      await until(() => idles() === 2, 'the run after a save');
      expect(starts(err.slice(mark))).toEqual(['c:build']);
      expect(err.slice(mark)).toMatch(/^judged \{"from":"memory","paths":\["p\/c\/src\/index.ts"\]/m);
      // The daemon goes: the watch notices, watches for itself, and runs everything once (changes in between are unknown).
      mark = err.length;
      expect(repo.kiln(['daemon', 'stop'], { env: on }).code).toBe(0);
      await until(() => idles() === 3, 'the run after the daemon stopped');
      expect(err.slice(mark)).toMatch(/daemon: the daemon closed the subscription \(it stopped\); watching for itself from now on/);
      mark = err.length;
      writeFileSync(join(repo.dir, 'p/a/src/index.ts'), 'export const a = 2;\n');
      await until(() => idles() === 4, 'the run after a save without the daemon');
      expect(starts(err.slice(mark))).toEqual(['a:build', 'b:build']);
    } finally {
      k.child.kill('SIGINT');
      expect((await k.done).code).toBe(130);
    }
  }, 90_000);

  it('does not ask a running daemon with KILN_DAEMON=0', async () => {
    repo = createRepo(workspace);
    expect(repo.kiln(['daemon', 'start'], { env: on }).code).toBe(0);
    const k = repo.startKiln(['watch', '-t', 'build', '--verbose'], { env: { KILN_DAEMON: '0' } });
    let err = '';
    k.child.stderr!.on('data', (s: Buffer | string) => (err += s.toString()));
    for (let waited = 0; !err.includes('idle: watching'); waited += 25) {
      if (waited > 30_000) throw new Error(`timed out:\n${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    k.child.kill('SIGINT');
    expect((await k.done).code).toBe(130);
    expect(err).toMatch(/^watching \d+ folders for build$/m);
    expect(err).not.toContain('daemon:');
  }, 60_000);
});
