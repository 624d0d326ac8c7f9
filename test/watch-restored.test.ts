/**
 * `kiln watch` keeps the dependencies it restored and proves them still in place by watches on
 * their output folders (docs/watch.md, "Dependencies already in place"). Whatever happens to a
 * dependency's output between two saves (replaced, removed, or written through a hard link kiln
 * does not watch), the next run puts the cached content back: it is never taken as in place.
 */
import { linkSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from './helpers/repo.js';

const build = 'mkdir -p dist && cp src/*.ts dist/';
const A = 'export const a = 1;\n';

let repo: TempRepo | undefined;
afterEach(() => repo?.cleanup());

describe('kiln watch and the outputs of restored dependencies', () => {
  it('restores a dependency output replaced, removed, or written through an unwatched hard link between two saves', async () => {
    repo = createRepo({
      'package.json': { name: 'w', private: true, workspaces: ['p/*'] },
      'nx.json': { targetDefaults: { build: { dependsOn: ['^build'], cache: true, outputs: ['{projectRoot}/dist'] } } },
      '.gitignore': '.kiln\nmarker*\ndist\n',
      'p/a/package.json': { name: 'a', scripts: { build } },
      'p/a/src/index.ts': A,
      'p/b/package.json': { name: 'b', dependencies: { a: '*' }, scripts: { build } },
      'p/b/src/index.ts': "import { a } from 'a';\nexport const b = a;\n",
    });
    const dir = repo.dir;
    expect(repo.kiln(['run', '-t', 'build']).code).toBe(0);
    const k = repo.startKiln(['watch', '-t', 'build', '-p', 'b']);
    let err = '';
    k.child.stderr!.on('data', (s: Buffer | string) => (err += s.toString()));
    let saves = 0;
    const idle = async (n: number): Promise<void> => {
      for (let waited = 0; err.split('idle: watching').length - 1 < n; waited += 25) {
        if (waited > 30_000) throw new Error(`kiln watch did not go idle ${n} times:\n${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    /** Saves b's source (a's task is restored, b's runs) and waits for the run to end; a's output after it. */
    const save = async (): Promise<string> => {
      writeFileSync(join(dir, 'p/b/src/index.ts'), `import { a } from 'a';\nexport const b = a + ${++saves};\n`);
      await idle(saves + 1);
      return readFileSync(join(dir, 'p/a/dist/index.ts'), 'utf8');
    };
    const output = join(dir, 'p/a/dist/index.ts');
    try {
      await idle(1);
      // Two saves: a is kept, then proven by its watches.
      expect(await save()).toBe(A);
      expect(await save()).toBe(A);
      // Replaced as an editor saves (written aside, renamed over): the stored copy is untouched.
      writeFileSync(`${output}.tmp`, 'export const a = 9;\n');
      renameSync(`${output}.tmp`, output);
      expect(await save()).toBe(A);
      rmSync(output);
      expect(await save()).toBe(A);
      // A hard link outside the watched folders: never proven, so a write through it is found by the stats.
      linkSync(output, join(dir, 'marker-link'));
      // (The link itself is no event in the output's folder: a touch is, so the next plan looks at the stats and sees the link.)
      utimesSync(output, new Date(), new Date());
      expect(await save()).toBe(A);
      expect(await save()).toBe(A);
      writeFileSync(join(dir, 'marker-link'), 'export const a = 7;\n');
      expect(await save()).toBe(A);
      // Only the stats found that last write (through the shared inode, the stored copy too): the entry is refused and a runs once.
      expect(err).toMatch(/the cache entry of a:build \(\w+\) was corrupt/);
      expect(err.match(/^start a:build$/gm)).toHaveLength(1);
    } finally {
      k.child.kill('SIGINT');
      expect((await k.done).code).toBe(130);
    }
  }, 90_000);
});
