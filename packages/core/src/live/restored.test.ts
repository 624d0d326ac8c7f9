import { linkSync, mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryPath, LocalCache } from '../cache/index.js';
import { StatCache } from '../files/index.js';
import { sha256 } from '../model/index.js';
import { RestoredInSession } from './restored.js';

// Real files, a real cache, real watches: an entry restored into the workspace, then proven in place by its watches.
let root: string;
let session: RestoredInSession;
let stats: StatCache;
let cache: LocalCache;
beforeEach(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-restored-')));
  session = new RestoredInSession();
  stats = await StatCache.load(join(root, '.kiln', 'file-digests'));
  cache = new LocalCache(root, join(root, '.kiln/cache'));
});
afterEach(() => {
  session.close();
  rmSync(root, { recursive: true, force: true });
});

/** Stores p/dist/{a,b}.js under a new hash, restores it (outputs hard-linked to the stored copies) and hands it to the session. */
async function restored(name: string): Promise<string> {
  const hash = sha256(name);
  mkdirSync(join(root, 'p/dist'), { recursive: true });
  writeFileSync(join(root, 'p/dist/a.js'), `a ${name}\n`);
  writeFileSync(join(root, 'p/dist/b.js'), `b ${name}\n`);
  await cache.store({ hash, task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/dist/a.js', 'p/dist/b.js'], log: Buffer.from('built\n') });
  rmSync(join(root, 'p/dist'), { recursive: true });
  await restoreAgain(hash);
  return hash;
}

/** What the run does when the session says "gone": the ordinary restore, then the session keeps the hit again. */
async function restoreAgain(hash: string): Promise<void> {
  const r = await cache.restore(hash, stats);
  if (r.status !== 'hit') throw new Error(r.status);
  session.add(hash, { log: r.log, savedMs: 1, meta: r.meta, metaStat: r.metaStat, source: 'local' }, root, entryPath(cache, hash));
}

/** The session's answer for `hash` once every event so far is handled. */
async function ask(hash: string): Promise<'hit' | 'gone'> {
  await session.settle(root);
  return session.inPlace(hash, root, stats) === undefined ? 'gone' : 'hit';
}

describe('entries restored in a watch session', () => {
  it('are proven in place by their watches after one look at their stats, and stay so while nothing moves', async () => {
    const h = await restored('one');
    expect(session.proven(h)).toBe(false);
    expect(await ask(h)).toBe('hit');
    expect(session.proven(h)).toBe(true);
    // A file beside the outputs, and another output folder's events, end nothing.
    writeFileSync(join(root, 'p/dist/other.txt'), 'x');
    mkdirSync(join(root, 'q/dist'), { recursive: true });
    writeFileSync(join(root, 'q/dist/a.js'), 'q');
    expect(await ask(h)).toBe('hit');
    expect(session.proven(h)).toBe(true);
  });

  it('are proven at once when added with the stat index they were just restored with', async () => {
    const hash = sha256('two');
    writeFileSync(join(root, 'two.js'), 'two\n');
    await cache.store({ hash, task: 'q:build', fingerprint: {}, durationMs: 1, outputs: ['two.js'], log: Buffer.from('') });
    rmSync(join(root, 'two.js'));
    const r = await cache.restore(hash, stats);
    if (r.status !== 'hit') throw new Error(r.status);
    session.add(hash, { log: r.log, savedMs: 1, meta: r.meta, metaStat: r.metaStat, source: 'local' }, root, entryPath(cache, hash), stats);
    expect(session.proven(hash)).toBe(true);
    writeFileSync(join(root, 'two.js'), 'TWO\n');
    expect(await ask(hash)).toBe('gone');
  });

  it.each([
    ['edited in place (same size)', () => writeFileSync(join(root, 'p/dist/a.js'), 'a ONE\n')],
    ['removed', () => rmSync(join(root, 'p/dist/b.js'))],
    [
      'replaced by a hard link to another file of the same size',
      () => (
        writeFileSync(join(root, 'x.js'), 'a xxx\n'),
        linkSync(join(root, 'x.js'), join(root, 'p/dist/x.tmp')),
        renameSync(join(root, 'p/dist/x.tmp'), join(root, 'p/dist/a.js'))
      ),
    ],
    ['its stored copy rewritten', (h: string) => writeFileSync(join(entryPath(cache, h), '0.out'), 'a two\n')],
  ])('are not a hit once an output is %s', async (_what, change) => {
    const h = await restored('one');
    expect(await ask(h)).toBe('hit');
    expect(session.proven(h)).toBe(true);
    change(h);
    await session.settle(root);
    expect(session.proven(h)).toBe(false);
    expect(await ask(h)).toBe('gone');
  });

  it('are never proven while an output has a hard link outside the watched folders, so a write through it is seen', async () => {
    const h = await restored('one');
    mkdirSync(join(root, 'elsewhere'));
    linkSync(join(root, 'p/dist/a.js'), join(root, 'elsewhere/a.js'));
    // The new link moved the output's ctime: restored again (the content is right), then kept.
    expect(await ask(h)).toBe('gone');
    await restoreAgain(h);
    expect(await ask(h)).toBe('hit');
    expect(session.proven(h)).toBe(false);
    // No event reaches the watched folders for this write: only the stats tell.
    writeFileSync(join(root, 'elsewhere/a.js'), 'a ONE\n');
    expect(await ask(h)).toBe('gone');
  });

  it('are not a hit when a parent folder was swapped for a copy (the watched folder is no longer the one at that path)', async () => {
    const h = await restored('one');
    expect(await ask(h)).toBe('hit');
    expect(session.proven(h)).toBe(true);
    renameSync(join(root, 'p'), join(root, 'p-old'));
    cpSync(join(root, 'p-old'), join(root, 'p'), { recursive: true });
    expect(await ask(h)).toBe('gone');
  });

  it('drop every proof when events may have been lost', async () => {
    const h = await restored('one');
    expect(await ask(h)).toBe('hit');
    session.doubt();
    expect(session.proven(h)).toBe(false);
    expect(await ask(h)).toBe('hit');
    expect(session.proven(h)).toBe(true);
  });
});
