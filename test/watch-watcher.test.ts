/**
 * The watcher on a real folder: edits, an editor's atomic save, renames, deletes, new folders
 * (files written before their watch existed), ignored paths (node_modules, .gitignore, outputs),
 * and a 5,000-file burst as one batch. Each step ends with a barrier, which must see it.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWatcher, workspaceIgnore, type Watcher, type WatchBatch } from '../packages/core/src/watcher/index.js';
import { tempDir } from './helpers/repo.js';

let root: string;
let watcher: Watcher;
const batches: WatchBatch[] = [];
beforeAll(async () => {
  root = tempDir('kiln-watcher-');
  mkdirSync(join(root, 'a/src'), { recursive: true });
  mkdirSync(join(root, 'node_modules/x'), { recursive: true });
  writeFileSync(join(root, '.gitignore'), 'dist/\n*.log\n');
  writeFileSync(join(root, 'a/src/x.ts'), '1');
  watcher = startWatcher(root, { isIgnored: workspaceIgnore(root, { outputs: ['{workspaceRoot}/a/out/**'] }), onBatch: (b) => batches.push(b) });
  await watcher.ready;
});
afterAll(() => watcher.close());

/** What one step changes, as the batches after a barrier report it. */
async function step(change: () => void): Promise<{ paths: string[]; seqMoved: number }> {
  batches.length = 0;
  const before = watcher.seq();
  change();
  expect(await watcher.barrier()).toBe(true);
  watcher.flush();
  return { paths: batches.flatMap((b) => b.paths), seqMoved: watcher.seq() - before };
}

describe('startWatcher', () => {
  it('reports edits, atomic saves, renames and deletes by path', async () => {
    expect((await step(() => writeFileSync(join(root, 'a/src/x.ts'), '2'))).paths).toEqual(['a/src/x.ts']);
    const atomic = await step(() => {
      writeFileSync(join(root, 'a/src/.x.ts.swp'), '3');
      renameSync(join(root, 'a/src/.x.ts.swp'), join(root, 'a/src/x.ts'));
    });
    expect(atomic.paths).toContain('a/src/x.ts');
    expect((await step(() => renameSync(join(root, 'a/src/x.ts'), join(root, 'a/src/y.ts')))).paths).toEqual(['a/src/x.ts', 'a/src/y.ts']);
    expect((await step(() => rmSync(join(root, 'a/src/y.ts')))).paths).toEqual(['a/src/y.ts']);
  });

  it('ignores node_modules, ignored files and folders, and task outputs', async () => {
    const ignored = await step(() => {
      writeFileSync(join(root, 'node_modules/x/i.js'), '1');
      mkdirSync(join(root, 'dist'));
      writeFileSync(join(root, 'dist/o.js'), '1');
      writeFileSync(join(root, 'z.log'), '1');
      mkdirSync(join(root, 'a/out'));
      writeFileSync(join(root, 'a/out/o.js'), '1');
    });
    expect(ignored).toEqual({ paths: [], seqMoved: 0 });
  });

  it('reports the files of a new folder, written before its watch existed, and later ones', async () => {
    const made = await step(() => {
      mkdirSync(join(root, 'b/c'), { recursive: true });
      writeFileSync(join(root, 'b/c/f.ts'), '1');
    });
    expect(made.paths).toContain('b/c/f.ts');
    expect((await step(() => writeFileSync(join(root, 'b/c/g.ts'), '1'))).paths).toEqual(['b/c/g.ts']);
  });

  it('gives a 5,000-file burst as one batch', async () => {
    batches.length = 0;
    for (let i = 0; i < 5000; i++) writeFileSync(join(root, `a/src/f${i}.ts`), String(i));
    expect(await watcher.barrier()).toBe(true);
    // The batch closes after the burst's quiet (250 ms); then nothing more comes.
    for (let waited = 0; batches.length === 0 && waited < 5000; waited += 25) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 400));
    expect(batches).toHaveLength(1);
    expect(batches[0]!.paths).toHaveLength(5000);
    expect(watcher.trouble()).toBeUndefined();
  });
});
