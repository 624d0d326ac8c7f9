import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../model/index.js';
import { copyName, detachOutputs, entryPath, LocalCache, storedCopyPath, type OutputStatIndex, type StatFields } from './index.js';

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

const blobId = (content: string): string => createHash('sha1').update(`blob ${Buffer.byteLength(content)}\0`).update(content).digest('hex');

/**
 * Builds an entry by hand, with a valid checksum (as a local forger, or one day a remote cache,
 * could): `files` maps each output path to its content, or `{ link }` for a symbolic link.
 */
async function craft(cache: LocalCache, hash: string, files: Record<string, string | { link: string }>): Promise<void> {
  write('seed.txt', 'seed');
  await cache.store({ hash, task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['seed.txt'], log: Buffer.from('') });
  rmSync(join(root, 'seed.txt'));
  const dir = entryPath(cache, hash);
  rmSync(join(dir, copyName(0)));
  const manifest = Object.entries(files)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([path, f], i) => {
      if (typeof f !== 'string') return { path, size: 0, mode: 0o777, oid: blobId(f.link), link: f.link };
      const file = { path, size: Buffer.byteLength(f), mode: 0o644, oid: blobId(f) };
      writeFileSync(join(dir, copyName(i)), f);
      const st = statSync(join(dir, copyName(i)));
      return { ...file, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev };
    });
  forge(cache, hash, (m) => (m.files = manifest));
}

/** Every path under `dir`, links not followed. */
const tree = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : []);

describe('restoring', () => {
  it('stores and restores outputs byte for byte, with the log', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/dist/a.js', 'console.log(1)\n');
    write('p/dist/sub/b.bin', '\u0000\u0001binary');
    await cache.store({ hash: sha256('h1'), task: 'p:build', fingerprint: { x: 1 }, durationMs: 12, outputs: ['p/dist/a.js', 'p/dist/sub/b.bin'], log: Buffer.from('built\n') });
    rmSync(join(root, 'p/dist'), { recursive: true });
    const r = await cache.restore(sha256('h1'));
    expect(r.status).toBe('hit');
    if (r.status === 'hit') expect(r.log).toEqual({ size: 6, bytes: Buffer.from('built\n') });
    expect(readFileSync(join(root, 'p/dist/sub/b.bin'), 'utf8')).toBe('\u0000\u0001binary');
    expect(readFileSync(join(root, 'p/dist/a.js'), 'utf8')).toBe('console.log(1)\n');
    expect(readdirSync(join(root, '.kiln/cache/tmp'))).toEqual([]);
  });

  it('restores an entry whose fingerprint holds keys named like its own (the meta is read without the fingerprint)', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/dist/a.js', 'a\n');
    const fingerprint = { target: { options: { a: 1, fingerprint: { files: [] }, log: 'x' } }, files: { 'p/,"fingerprint":x': 'y' } };
    await cache.store({ hash: sha256('h1'), task: 'p:build', fingerprint, durationMs: 5, outputs: ['p/dist/a.js'], log: Buffer.from('ok\n') });
    rmSync(join(root, 'p/dist'), { recursive: true });
    const r = await cache.restore(sha256('h1'));
    expect(r.status).toBe('hit');
    if (r.status === 'hit') expect(r.meta.files.map((f) => f.path)).toEqual(['p/dist/a.js']);
    expect(readFileSync(join(root, 'p/dist/a.js'), 'utf8')).toBe('a\n');
    // `why-miss` still reads the whole fingerprint.
    const m = await cache.readMeta(sha256('h1'));
    expect(m.status === 'ok' && m.meta.fingerprint).toEqual(fingerprint);
  });

  it('reports a corrupt output as corrupt, writes nothing, and removes the entry', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/dist/a.js', 'good');
    await cache.store({ hash: sha256('h2'), task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/dist/a.js'], log: Buffer.from('') });
    writeFileSync(storedCopyPath(cache, sha256('h2'), 'p/dist/a.js')!, 'evil');
    write('p/dist/a.js', 'local edit');
    const r = await cache.restore(sha256('h2'));
    expect(r.status).toBe('corrupt');
    expect(readFileSync(join(root, 'p/dist/a.js'), 'utf8')).toBe('local edit');
    expect(existsSync(entryPath(cache, sha256('h2')))).toBe(false);
    expect((await cache.restore(sha256('h2'))).status).toBe('miss');
  });

  it('treats a truncated manifest as corrupt', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/out.txt', 'x');
    await cache.store({ hash: sha256('h3'), task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/out.txt'], log: Buffer.from('log') });
    const meta = join(entryPath(cache, sha256('h3')), 'meta.json');
    writeFileSync(meta, readFileSync(meta, 'utf8').slice(0, 40));
    expect(await cache.restore(sha256('h3'))).toEqual({ status: 'corrupt', reason: expect.stringContaining('checksum') });
  });

  it('refuses entries that would write outside the workspace', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/out.txt', 'x');
    await cache.store({ hash: sha256('h4'), task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/out.txt'], log: Buffer.from('') });
    forge(cache, sha256('h4'), (m) => (m.files[0].path = '../escaped.txt'));
    expect((await cache.restore(sha256('h4'))).status).toBe('corrupt');
    expect(existsSync(join(root, '../escaped.txt'))).toBe(false);

    // A directory in the workspace that is a symbolic link to somewhere else.
    write('q/out.txt', 'y');
    await cache.store({ hash: sha256('h5'), task: 'q:build', fingerprint: {}, durationMs: 1, outputs: ['q/out.txt'], log: Buffer.from('') });
    rmSync(join(root, 'q'), { recursive: true });
    symlinkSync(outside, join(root, 'q'));
    // The workspace's doing, not the entry's: blocked, and the entry is kept.
    const r = await cache.restore(sha256('h5'));
    expect(r).toEqual({ status: 'blocked', reason: 'the output folder "q" leads out of the workspace (a symbolic link)' });
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(root, '.kiln/cache/entries', sha256('h5'), 'meta.json'))).toBe(true);

    // A folder restored once, then replaced by such a link: a later restore in the same process looks again.
    rmSync(join(root, 'q'));
    write('q/again/out.txt', 'w');
    await cache.store({ hash: sha256('h5a'), task: 'q:build', fingerprint: {}, durationMs: 1, outputs: ['q/again/out.txt'], log: Buffer.from('') });
    rmSync(join(root, 'q/again/out.txt')); // the folder stays, and is looked at
    expect((await cache.restore(sha256('h5a'))).status).toBe('hit');
    rmSync(join(root, 'q'), { recursive: true });
    symlinkSync(outside, join(root, 'q'));
    mkdirSync(join(outside, 'again'));
    expect((await cache.restore(sha256('h5a'))).status).toBe('blocked');
    expect(readdirSync(join(outside, 'again'))).toEqual([]);
    rmSync(join(outside, 'again'), { recursive: true });

    // A missing folder below that link: its nearest existing ancestor leads out.
    rmSync(join(root, 'q'));
    write('q/deep/er/out.txt', 'z');
    await cache.store({ hash: sha256('h5b'), task: 'q:build', fingerprint: {}, durationMs: 1, outputs: ['q/deep/er/out.txt'], log: Buffer.from('') });
    rmSync(join(root, 'q'), { recursive: true });
    symlinkSync(outside, join(root, 'q'));
    expect((await cache.restore(sha256('h5b'))).status).toBe('blocked');
    expect(readdirSync(outside)).toEqual([]);
  });

  it('restores into missing folders, and over a file that stands where an output folder was', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/dist/a/b/c.txt', 'deep');
    write('p/dist/top.txt', 'top');
    await cache.store({ hash: sha256('m1'), task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/dist/a/b/c.txt', 'p/dist/top.txt'], log: Buffer.from('') });
    rmSync(join(root, 'p'), { recursive: true });
    expect((await cache.restore(sha256('m1'))).status).toBe('hit');
    expect(readFileSync(join(root, 'p/dist/a/b/c.txt'), 'utf8')).toBe('deep');
    expect(readFileSync(join(root, 'p/dist/top.txt'), 'utf8')).toBe('top');
    // The folder p/dist/a replaced by a file of that name: the workspace is in the way, not the
    // entry, which is kept (the task runs, and says what it makes of that file).
    rmSync(join(root, 'p/dist/a'), { recursive: true });
    writeFileSync(join(root, 'p/dist/a'), 'not a folder');
    expect(await cache.restore(sha256('m1'))).toEqual({ status: 'blocked', reason: 'a file stands in the way of the output folder "p/dist/a/b"' });
    expect(readFileSync(join(root, 'p/dist/top.txt'), 'utf8')).toBe('top'); // nothing written or removed
    expect(readFileSync(join(root, 'p/dist/a'), 'utf8')).toBe('not a folder');
    rmSync(join(root, 'p/dist/a'));
    expect((await cache.restore(sha256('m1'))).status).toBe('hit');
    expect(readFileSync(join(root, 'p/dist/a/b/c.txt'), 'utf8')).toBe('deep');
  });

  it('restores as hard links, detects a stored copy changed through one, and detaches before a rerun', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/dist/a.js', 'v1');
    await cache.store({ hash: sha256('l1'), task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/dist/a.js'], log: Buffer.from('') });
    rmSync(join(root, 'p/dist'), { recursive: true });
    expect((await cache.restore(sha256('l1'))).status).toBe('hit');
    expect(statSync(join(root, 'p/dist/a.js')).nlink).toBe(2);

    // A task about to rerun gets its own inode; writing in place then leaves the cache alone.
    await detachOutputs(root, ['p/dist/a.js']);
    expect(statSync(join(root, 'p/dist/a.js')).nlink).toBe(1);
    writeFileSync(join(root, 'p/dist/a.js'), 'v2, written in place');
    rmSync(join(root, 'p/dist'), { recursive: true });
    expect((await cache.restore(sha256('l1'))).status).toBe('hit');
    expect(readFileSync(join(root, 'p/dist/a.js'), 'utf8')).toBe('v1');

    // Rewritten in place with the same bytes (another tool restoring the same output): still good.
    writeFileSync(join(root, 'p/dist/a.js'), 'v1');
    rmSync(join(root, 'p/dist'), { recursive: true });
    expect((await cache.restore(sha256('l1'))).status).toBe('hit');
    expect(readFileSync(join(root, 'p/dist/a.js'), 'utf8')).toBe('v1');

    // Written in place with other bytes, without detaching: the entry is corrupt, not replayed.
    writeFileSync(join(root, 'p/dist/a.js'), 'v3');
    rmSync(join(root, 'p/dist'), { recursive: true });
    expect((await cache.restore(sha256('l1'))).status).toBe('corrupt');
    expect(existsSync(join(root, 'p/dist/a.js'))).toBe(false);
  });

  it('writes independent copies in copy mode', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'), { restoreMode: 'copy' });
    write('p/dist/a.js', 'v1');
    await cache.store({ hash: sha256('c1'), task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/dist/a.js'], log: Buffer.from('') });
    rmSync(join(root, 'p/dist'), { recursive: true });
    expect((await cache.restore(sha256('c1'))).status).toBe('hit');
    expect(statSync(join(root, 'p/dist/a.js')).nlink).toBe(1);
  });

  describe('refuses an entry that would write through a link it makes', () => {
    // The workspace is a folder of `root`, so that "outside" is right beside it.
    let ws: string;
    let cache: LocalCache;
    beforeEach(() => {
      ws = join(root, 'ws');
      mkdirSync(ws);
      cache = new LocalCache(ws, join(ws, '.kiln/cache'));
    });
    const crafted = (hash: string, files: Record<string, string | { link: string }>) => craft(new LocalCache(root, join(ws, '.kiln/cache')), hash, files);

    for (const mode of ['link', 'copy'] as const) {
      it(`the reviewer's entry (${mode} mode): nothing is written, inside or out`, async () => {
        cache = new LocalCache(ws, join(ws, '.kiln/cache'), { restoreMode: mode });
        // p/a/dist/l -> ../../.. is the workspace root, p/a/dist/l/m -> .. then its parent: each lexically inside.
        await crafted(sha256('e1'), { 'p/a/dist/l': { link: '../../..' }, 'p/a/dist/l/m': { link: '..' }, 'p/a/dist/l/m/evil.txt': 'evil' });
        expect(await cache.restore(sha256('e1'))).toEqual({ status: 'corrupt', reason: 'output "p/a/dist/l/m" lies below another output of the entry' });
        expect(existsSync(join(root, 'evil.txt'))).toBe(false);
        expect(tree(join(ws, 'p'))).toEqual([]);
        expect(existsSync(entryPath(cache, sha256('e1')))).toBe(false);
      });
    }

    it('a file below a link leading inside, a file below a file, and a folder already in the workspace', async () => {
      await crafted(sha256('e2'), { 'p/dist/l': { link: '../src' }, 'p/dist/l/x.txt': 'x' });
      expect((await cache.restore(sha256('e2'))).status).toBe('corrupt');
      await crafted(sha256('e3'), { 'p/dist/a': 'a', 'p/dist/a/b.txt': 'b' });
      expect((await cache.restore(sha256('e3'))).status).toBe('corrupt');
      // dist/l is a real folder of the workspace now; the entry would replace it by a link, then write below.
      mkdirSync(join(ws, 'p/dist/l'), { recursive: true });
      await crafted(sha256('e4'), { 'p/dist/l': { link: '../..' }, 'p/dist/l/evil.txt': 'evil' });
      expect((await cache.restore(sha256('e4'))).status).toBe('corrupt');
      expect(tree(join(ws, 'p'))).toEqual(['dist', 'dist/l']);
      expect(existsSync(join(root, 'evil.txt'))).toBe(false);
    });

    it('a link and a file below it spelled in another case (case-insensitive file systems)', async () => {
      await crafted(sha256('e5'), { 'p/a/dist/L': { link: '../../..' }, 'p/a/dist/l/m': { link: '..' }, 'p/a/dist/l/m/evil.txt': 'evil' });
      expect((await cache.restore(sha256('e5'))).status).toBe('corrupt');
      expect(existsSync(join(root, 'evil.txt'))).toBe(false);
      expect(tree(join(ws, 'p'))).toEqual([]);
    });

    it('a link leading out through another link of the entry, or through one of the workspace', async () => {
      // p/a/l -> ../b/l2/../../.. is lexically the workspace root, but p/b/l2 -> ../c makes it its parent.
      await crafted(sha256('e6'), { 'p/a/l': { link: '../b/l2/../../..' }, 'p/b/l2': { link: '../c' }, 'p/c/f.txt': 'f' });
      expect(await cache.restore(sha256('e6'))).toEqual({ status: 'corrupt', reason: 'output link "p/a/l" points outside the workspace' });
      expect(tree(join(ws, 'p'))).toEqual([]);
      // The same through a link of the workspace: p/q/w -> ../.. is its root.
      mkdirSync(join(ws, 'p/q'), { recursive: true });
      symlinkSync('../..', join(ws, 'p/q/w'));
      await crafted(sha256('e7'), { 'p/q/l': { link: 'w/..' } });
      expect((await cache.restore(sha256('e7'))).status).toBe('corrupt');
      expect(existsSync(join(ws, 'p/q/l'))).toBe(false);
      // Through a link of the workspace among the link's own folders: p/x/y/dist -> ../../../dist, so ../../.. from there is out.
      mkdirSync(join(ws, 'dist'));
      mkdirSync(join(ws, 'p/x/y'), { recursive: true });
      symlinkSync('../../../dist', join(ws, 'p/x/y/dist'));
      await crafted(sha256('e7a'), { 'p/x/y/dist/l': { link: '../../..' } });
      expect((await cache.restore(sha256('e7a'))).status).toBe('corrupt');
      expect(readdirSync(join(ws, 'dist'))).toEqual([]);
      // A link of the entry that only leads out because the workspace's own link does is the workspace's business.
      symlinkSync(outside, join(ws, 'p/q/ext'));
      await crafted(sha256('e8'), { 'p/q/l': { link: 'ext/sub' } });
      expect((await cache.restore(sha256('e8'))).status).toBe('hit');
      expect(readlinkSync(join(ws, 'p/q/l'))).toBe('ext/sub');
      expect(readdirSync(outside)).toEqual([]);
    });

    it('still restores links next to the files they point at', async () => {
      await crafted(sha256('e9'), { 'p/dist/current': { link: 'v1' }, 'p/dist/v1/a.txt': 'a', 'p/dist/up': { link: '../src' } });
      expect((await cache.restore(sha256('e9'))).status).toBe('hit');
      expect(readFileSync(join(ws, 'p/dist/current/a.txt'), 'utf8')).toBe('a');
      expect(readlinkSync(join(ws, 'p/dist/up'))).toBe('../src');
    });
  });

  describe('restores over what another process put in place meanwhile', () => {
    /** A stat index whose lookup of `trigger` lets "another process" act, after the restore looked at every earlier output. */
    const racing = (trigger: string, act: () => void): OutputStatIndex => ({
      get: (path: string) => {
        if (path === trigger) act();
        return undefined;
      },
      set: () => undefined,
    });
    const setUp = async (cache: LocalCache): Promise<void> => {
      write('p/dist/a.txt', 'A');
      write('p/dist/b.txt', 'B');
      await cache.store({ hash: sha256('r1'), task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/dist/a.txt', 'p/dist/b.txt'], log: Buffer.from('') });
      rmSync(join(root, 'p/dist/a.txt'));
    };

    it('a hard link (link mode)', async () => {
      const cache = new LocalCache(root, join(root, '.kiln/cache'));
      await setUp(cache);
      const r = await cache.restore(sha256('r1'), racing('p/dist/b.txt', () => writeFileSync(join(root, 'p/dist/a.txt'), 'A')));
      expect(r.status).toBe('hit');
      expect(readFileSync(join(root, 'p/dist/a.txt'), 'utf8')).toBe('A');
      expect(statSync(join(root, 'p/dist/a.txt')).ino).toBe(statSync(storedCopyPath(cache, sha256('r1'), 'p/dist/a.txt')!).ino);
      expect(readdirSync(join(root, 'p/dist'))).toEqual(['a.txt', 'b.txt']);
    });

    it('a copy (copy mode), never written through a link that appeared there', async () => {
      const cache = new LocalCache(root, join(root, '.kiln/cache'), { restoreMode: 'copy' });
      await setUp(cache);
      writeFileSync(join(outside, 'victim.txt'), 'mine');
      const r = await cache.restore(sha256('r1'), racing('p/dist/b.txt', () => symlinkSync(join(outside, 'victim.txt'), join(root, 'p/dist/a.txt'))));
      expect(r.status).toBe('hit');
      expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe('mine');
      expect(lstatSync(join(root, 'p/dist/a.txt')).isFile()).toBe(true);
      expect(readFileSync(join(root, 'p/dist/a.txt'), 'utf8')).toBe('A');
      expect(readdirSync(join(root, 'p/dist'))).toEqual(['a.txt', 'b.txt']);
    });

    it('a symbolic link', async () => {
      const cache = new LocalCache(root, join(root, '.kiln/cache'));
      write('p/dist/b.txt', 'B');
      symlinkSync('b.txt', join(root, 'p/dist/a'));
      await cache.store({ hash: sha256('r2'), task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/dist/a', 'p/dist/b.txt'], log: Buffer.from('') });
      rmSync(join(root, 'p/dist/a'));
      const r = await cache.restore(sha256('r2'), racing('p/dist/b.txt', () => symlinkSync('b.txt', join(root, 'p/dist/a'))));
      expect(r.status).toBe('hit');
      expect(readlinkSync(join(root, 'p/dist/a'))).toBe('b.txt');
      expect(readdirSync(join(root, 'p/dist'))).toEqual(['a', 'b.txt']);
    });
  });

  describe('sets back the recorded mode of an output chmodded through a hard link', () => {
    const mode = (p: string): number => statSync(p).mode & 0o777;
    /** The run's stat index, as the stat cache keeps it: by size, mtime, ctime and inode. */
    const statIndex = (): OutputStatIndex => {
      const rows = new Map<string, string>();
      const key = (path: string, st: StatFields) => `${path}\0${st.size}\0${st.mtimeMs}\0${st.ctimeMs}\0${st.ino}`;
      return { get: (path, st) => rows.get(key(path, st)), set: (path, st, oid) => void rows.set(key(path, st), oid) };
    };
    for (const withIndex of [true, false]) {
      it(withIndex ? 'with the stat index' : 'without it', async () => {
        const cache = new LocalCache(root, join(root, '.kiln/cache'));
        const index = withIndex ? statIndex() : undefined;
        write('p/dist/a.sh', 'echo a');
        chmodSync(join(root, 'p/dist/a.sh'), 0o644);
        await cache.store({ hash: sha256('x1'), task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/dist/a.sh'], log: Buffer.from('') }, index);
        rmSync(join(root, 'p/dist'), { recursive: true });
        expect((await cache.restore(sha256('x1'), index)).status).toBe('hit');
        const restored = join(root, 'p/dist/a.sh');
        const stored = storedCopyPath(cache, sha256('x1'), 'p/dist/a.sh')!;
        chmodSync(restored, 0o755); // the stored copy too: one inode
        expect(mode(stored)).toBe(0o755);
        expect((await cache.restore(sha256('x1'), index)).status).toBe('hit');
        expect(mode(restored)).toBe(0o644);
        expect(mode(stored)).toBe(0o644);
        // Deleted, then restored by a link to a stored copy chmodded meanwhile.
        chmodSync(restored, 0o700);
        rmSync(join(root, 'p/dist'), { recursive: true });
        expect((await cache.restore(sha256('x1'), index)).status).toBe('hit');
        expect(mode(restored)).toBe(0o644);
        expect(mode(stored)).toBe(0o644);
        expect(statSync(restored).ino).toBe(statSync(stored).ino);
      });
    }
  });
});
