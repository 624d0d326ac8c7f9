import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detachOutputs, entryPath, LocalCache } from './index.js';

let root: string;
let outside: string;
beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-cache-')));
  outside = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-outside-')));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const write = (p: string, content: string): void => {
  mkdirSync(join(root, p, '..'), { recursive: true });
  writeFileSync(join(root, p), content);
};

/** Rewrites an entry's meta.json with a fresh, valid checksum (as a forger would). */
function forge(cache: LocalCache, hash: string, change: (meta: Record<string, any>) => void): void {
  const file = join(entryPath(cache, hash), 'meta.json');
  const text = readFileSync(file, 'utf8');
  const meta = JSON.parse(text.slice(text.indexOf('\n') + 1));
  change(meta);
  const json = JSON.stringify(meta);
  writeFileSync(file, `${createHash('sha256').update(json).digest('hex')}\n${json}`);
}

describe('LocalCache', () => {
  it('stores and restores outputs byte for byte, with the log', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/dist/a.js', 'console.log(1)\n');
    write('p/dist/sub/b.bin', '\u0000\u0001binary');
    await cache.store({ hash: 'h1', task: 'p:build', fingerprint: { x: 1 }, durationMs: 12, outputs: ['p/dist/a.js', 'p/dist/sub/b.bin'], log: Buffer.from('built\n') });
    rmSync(join(root, 'p/dist'), { recursive: true });
    const r = await cache.restore('h1');
    expect(r.status).toBe('hit');
    if (r.status === 'hit') expect(r.log.toString()).toBe('built\n');
    expect(readFileSync(join(root, 'p/dist/sub/b.bin'), 'utf8')).toBe('\u0000\u0001binary');
    expect(readFileSync(join(root, 'p/dist/a.js'), 'utf8')).toBe('console.log(1)\n');
    expect(readdirSync(join(root, '.kiln/cache/tmp'))).toEqual([]);
  });

  it('restores an entry whose fingerprint holds keys named like its own (the meta is read without the fingerprint)', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/dist/a.js', 'a\n');
    const fingerprint = { target: { options: { a: 1, fingerprint: { files: [] }, log: 'x' } }, files: { 'p/,"fingerprint":x': 'y' } };
    await cache.store({ hash: 'h1', task: 'p:build', fingerprint, durationMs: 5, outputs: ['p/dist/a.js'], log: Buffer.from('ok\n') });
    rmSync(join(root, 'p/dist'), { recursive: true });
    const r = await cache.restore('h1');
    expect(r.status).toBe('hit');
    if (r.status === 'hit') expect(r.meta.files.map((f) => f.path)).toEqual(['p/dist/a.js']);
    expect(readFileSync(join(root, 'p/dist/a.js'), 'utf8')).toBe('a\n');
    // `why-miss` still reads the whole fingerprint.
    const m = await cache.readMeta('h1');
    expect(m.status === 'ok' && m.meta.fingerprint).toEqual(fingerprint);
  });

  it('reports a corrupt output as corrupt, writes nothing, and removes the entry', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/dist/a.js', 'good');
    await cache.store({ hash: 'h2', task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/dist/a.js'], log: Buffer.from('') });
    writeFileSync(join(entryPath(cache, 'h2'), 'out/p/dist/a.js'), 'evil');
    write('p/dist/a.js', 'local edit');
    const r = await cache.restore('h2');
    expect(r.status).toBe('corrupt');
    expect(readFileSync(join(root, 'p/dist/a.js'), 'utf8')).toBe('local edit');
    expect(existsSync(entryPath(cache, 'h2'))).toBe(false);
    expect((await cache.restore('h2')).status).toBe('miss');
  });

  it('treats a truncated manifest as corrupt', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/out.txt', 'x');
    await cache.store({ hash: 'h3', task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/out.txt'], log: Buffer.from('log') });
    const meta = join(entryPath(cache, 'h3'), 'meta.json');
    writeFileSync(meta, readFileSync(meta, 'utf8').slice(0, 40));
    expect(await cache.restore('h3')).toEqual({ status: 'corrupt', reason: expect.stringContaining('checksum') });
  });

  it('refuses entries that would write outside the workspace', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/out.txt', 'x');
    await cache.store({ hash: 'h4', task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/out.txt'], log: Buffer.from('') });
    forge(cache, 'h4', (m) => (m.files[0].path = '../escaped.txt'));
    expect((await cache.restore('h4')).status).toBe('corrupt');
    expect(existsSync(join(root, '../escaped.txt'))).toBe(false);

    // A directory in the workspace that is a symbolic link to somewhere else.
    write('q/out.txt', 'y');
    await cache.store({ hash: 'h5', task: 'q:build', fingerprint: {}, durationMs: 1, outputs: ['q/out.txt'], log: Buffer.from('') });
    rmSync(join(root, 'q'), { recursive: true });
    symlinkSync(outside, join(root, 'q'));
    const r = await cache.restore('h5');
    expect(r.status).toBe('corrupt');
    expect(readdirSync(outside)).toEqual([]);

    // A folder restored once, then replaced by such a link: a later restore in the same process looks again.
    rmSync(join(root, 'q'));
    write('q/again/out.txt', 'w');
    await cache.store({ hash: 'h5a', task: 'q:build', fingerprint: {}, durationMs: 1, outputs: ['q/again/out.txt'], log: Buffer.from('') });
    rmSync(join(root, 'q/again/out.txt')); // the folder stays, and is looked at
    expect((await cache.restore('h5a')).status).toBe('hit');
    rmSync(join(root, 'q'), { recursive: true });
    symlinkSync(outside, join(root, 'q'));
    mkdirSync(join(outside, 'again'));
    expect((await cache.restore('h5a')).status).toBe('corrupt');
    expect(readdirSync(join(outside, 'again'))).toEqual([]);
    rmSync(join(outside, 'again'), { recursive: true });

    // A missing folder below that link: its nearest existing ancestor leads out.
    rmSync(join(root, 'q'));
    write('q/deep/er/out.txt', 'z');
    await cache.store({ hash: 'h5b', task: 'q:build', fingerprint: {}, durationMs: 1, outputs: ['q/deep/er/out.txt'], log: Buffer.from('') });
    rmSync(join(root, 'q'), { recursive: true });
    symlinkSync(outside, join(root, 'q'));
    expect((await cache.restore('h5b')).status).toBe('corrupt');
    expect(readdirSync(outside)).toEqual([]);
  });

  it('restores into missing folders, and over a file that stands where an output folder was', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/dist/a/b/c.txt', 'deep');
    write('p/dist/top.txt', 'top');
    await cache.store({ hash: 'm1', task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/dist/a/b/c.txt', 'p/dist/top.txt'], log: Buffer.from('') });
    rmSync(join(root, 'p'), { recursive: true });
    expect((await cache.restore('m1')).status).toBe('hit');
    expect(readFileSync(join(root, 'p/dist/a/b/c.txt'), 'utf8')).toBe('deep');
    expect(readFileSync(join(root, 'p/dist/top.txt'), 'utf8')).toBe('top');
    // The folder p/dist/a replaced by a file of that name: the workspace is in the way, not the
    // entry, which is kept (the task runs, and says what it makes of that file).
    rmSync(join(root, 'p/dist/a'), { recursive: true });
    writeFileSync(join(root, 'p/dist/a'), 'not a folder');
    expect(await cache.restore('m1')).toEqual({ status: 'blocked', reason: 'a file stands in the way of the output folder "p/dist/a/b"' });
    expect(readFileSync(join(root, 'p/dist/top.txt'), 'utf8')).toBe('top'); // nothing written or removed
    expect(readFileSync(join(root, 'p/dist/a'), 'utf8')).toBe('not a folder');
    rmSync(join(root, 'p/dist/a'));
    expect((await cache.restore('m1')).status).toBe('hit');
    expect(readFileSync(join(root, 'p/dist/a/b/c.txt'), 'utf8')).toBe('deep');
  });

  it('never stores over an entry another process completed first', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/out.txt', 'first');
    await cache.store({ hash: 'h6', task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/out.txt'], log: Buffer.from('') });
    write('p/out.txt', 'second');
    await cache.store({ hash: 'h6', task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/out.txt'], log: Buffer.from('') });
    expect(readFileSync(join(entryPath(cache, 'h6'), 'out/p/out.txt'), 'utf8')).toBe('first');
    expect(readdirSync(join(root, '.kiln/cache/tmp'))).toEqual([]);
  });

  const threeEntries = async (cache: LocalCache): Promise<void> => {
    for (const [i, h] of ['old', 'mid', 'new'].entries()) {
      write(`p${i}/out.txt`, 'x'.repeat(100));
      await cache.store({ hash: h, task: `p${i}:build`, fingerprint: {}, durationMs: 1, outputs: [`p${i}/out.txt`], log: Buffer.from('') });
      const t = new Date(Date.UTC(2020, 0, 1 + i));
      utimesSync(join(entryPath(cache, h), 'meta.json'), t, t);
    }
  };

  it('evicts the least recently used entries beyond the size limit', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'), { maxSize: 250 });
    await threeEntries(cache);
    expect(await cache.evict()).toBe(1);
    expect(existsSync(entryPath(cache, 'old'))).toBe(false);
    expect(existsSync(entryPath(cache, 'mid'))).toBe(true);
    expect(existsSync(entryPath(cache, 'new'))).toBe(true);
  });

  it('counts uses the access times do not show (runs answered by a run manifest) when evicting', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'), { maxSize: 250 });
    await threeEntries(cache);
    expect(await cache.evict(new Map([['old', Date.UTC(2020, 0, 5)]]))).toBe(1);
    expect(existsSync(entryPath(cache, 'old'))).toBe(true);
    expect(existsSync(entryPath(cache, 'mid'))).toBe(false);
    expect(existsSync(entryPath(cache, 'new'))).toBe(true);
  });

  it('keeps the last run of each task with its fingerprint', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    expect(await cache.lastRun('p:build')).toBeUndefined();
    await cache.setLastRun('p:build', 'abc', { files: { a: '1' } });
    expect(await cache.lastRun('p:build')).toEqual({ hash: 'abc', fingerprint: { files: { a: '1' } } });
  });

  it('restores as hard links, detects a stored copy changed through one, and detaches before a rerun', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/dist/a.js', 'v1');
    await cache.store({ hash: 'l1', task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/dist/a.js'], log: Buffer.from('') });
    rmSync(join(root, 'p/dist'), { recursive: true });
    expect((await cache.restore('l1')).status).toBe('hit');
    expect(statSync(join(root, 'p/dist/a.js')).nlink).toBe(2);

    // A task about to rerun gets its own inode; writing in place then leaves the cache alone.
    await detachOutputs(root, ['p/dist/a.js']);
    expect(statSync(join(root, 'p/dist/a.js')).nlink).toBe(1);
    writeFileSync(join(root, 'p/dist/a.js'), 'v2, written in place');
    rmSync(join(root, 'p/dist'), { recursive: true });
    expect((await cache.restore('l1')).status).toBe('hit');
    expect(readFileSync(join(root, 'p/dist/a.js'), 'utf8')).toBe('v1');

    // Rewritten in place with the same bytes (another tool restoring the same output): still good.
    writeFileSync(join(root, 'p/dist/a.js'), 'v1');
    rmSync(join(root, 'p/dist'), { recursive: true });
    expect((await cache.restore('l1')).status).toBe('hit');
    expect(readFileSync(join(root, 'p/dist/a.js'), 'utf8')).toBe('v1');

    // Written in place with other bytes, without detaching: the entry is corrupt, not replayed.
    writeFileSync(join(root, 'p/dist/a.js'), 'v3');
    rmSync(join(root, 'p/dist'), { recursive: true });
    expect((await cache.restore('l1')).status).toBe('corrupt');
    expect(existsSync(join(root, 'p/dist/a.js'))).toBe(false);
  });

  it('writes independent copies in copy mode', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'), { restoreMode: 'copy' });
    write('p/dist/a.js', 'v1');
    await cache.store({ hash: 'c1', task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/dist/a.js'], log: Buffer.from('') });
    rmSync(join(root, 'p/dist'), { recursive: true });
    expect((await cache.restore('c1')).status).toBe('hit');
    expect(statSync(join(root, 'p/dist/a.js')).nlink).toBe(1);
  });
});
