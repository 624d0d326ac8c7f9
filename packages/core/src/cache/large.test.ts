/**
 * Outputs too large to hold in memory (a Buffer stops at 2 GiB) are copied by the kernel and hashed
 * in chunks, on store and on every restore that reads them. Here "large" is lowered to a few bytes,
 * and the files' reads are watched: a large file is never read whole.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { blobIdOfFile, blobIdOfFileSync } from '../files/index.js';
import { sha256 } from '../model/index.js';
import { LocalCache, storedCopyPath } from './index.js';

/** Every path read whole, through `readFile` or `readFileSync`. */
const watch = vi.hoisted(() => {
  const wholeReads: string[] = [];
  const recording = <F extends (...args: never[]) => unknown>(read: F): F =>
    ((path: unknown, ...rest: unknown[]) => {
      if (typeof path === 'string') wholeReads.push(path);
      return (read as unknown as (...args: unknown[]) => unknown)(path, ...rest);
    }) as unknown as F;
  return { wholeReads, recording };
});
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const readFileSync = watch.recording(fs.readFileSync);
  return { ...fs, readFileSync, default: { ...fs, readFileSync } };
});
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = watch.recording(fs.readFile);
  return { ...fs, readFile, default: { ...fs, readFile } };
});
const wholeReads = watch.wholeReads;

const blobId = (content: Buffer): string => createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');

let root: string;
const large = randomBytes(3 * 1024 * 1024 + 17); // more than one chunk
beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-cache-')));
  mkdirSync(join(root, 'p/dist'), { recursive: true });
  writeFileSync(join(root, 'p/dist/large.bin'), large);
  writeFileSync(join(root, 'p/dist/small.txt'), 'small');
  wholeReads.length = 0;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const largeReads = () => wholeReads.filter((p) => p.endsWith('large.bin'));
const store = (cache: LocalCache) =>
  cache.store({ hash: sha256('big'), task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/dist/large.bin', 'p/dist/small.txt'], log: Buffer.from('') });

describe('large outputs', () => {
  it('hash in chunks to the same blob id, and tell a file of another size', async () => {
    const file = join(root, 'p/dist/large.bin');
    expect(blobIdOfFileSync(file, large.length)).toBe(blobId(large));
    expect(await blobIdOfFile(file, large.length)).toBe(blobId(large));
    expect(blobIdOfFileSync(file, large.length + 1)).toBeUndefined();
    expect(await blobIdOfFile(file, large.length - 1)).toBeUndefined();
  });

  for (const mode of ['link', 'copy'] as const) {
    it(`are stored and restored (${mode} mode) without being read whole`, async () => {
      const cache = new LocalCache(root, join(root, '.kiln/cache'), { largeFile: 1024, restoreMode: mode });
      expect(await store(cache)).toEqual({ status: 'stored' });
      expect(largeReads()).toEqual([]);
      const meta = await cache.readMeta(sha256('big'));
      expect(meta.status === 'ok' && meta.meta.files.map((f) => [f.path, f.size, f.oid])).toEqual([
        ['p/dist/large.bin', large.length, blobId(large)],
        ['p/dist/small.txt', 5, blobId(Buffer.from('small'))],
      ]);
      const restore = async (): Promise<void> => {
        rmSync(join(root, 'p/dist'), { recursive: true });
        expect((await cache.restore(sha256('big'))).status).toBe('hit');
        expect(largeReads()).toEqual([]);
        expect(readFileSync(join(root, 'p/dist/large.bin')).equals(large)).toBe(true);
        expect(statSync(join(root, 'p/dist/large.bin')).nlink).toBe(mode === 'link' ? 2 : 1);
        wholeReads.length = 0;
      };
      await restore();
      // Rewritten in place with the same bytes: a link restore verifies it by content, in chunks.
      writeFileSync(storedCopyPath(cache, sha256('big'), 'p/dist/large.bin')!, large);
      await restore();
    });
  }

  it('a damaged large copy of the same size is corrupt', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'), { largeFile: 1024, restoreMode: 'copy' });
    await store(cache);
    const damaged = Buffer.from(large);
    damaged.writeUInt8(damaged.readUInt8(0) ^ 1, 0);
    writeFileSync(storedCopyPath(cache, sha256('big'), 'p/dist/large.bin')!, damaged);
    rmSync(join(root, 'p/dist'), { recursive: true });
    expect(await cache.restore(sha256('big'))).toEqual({ status: 'corrupt', reason: 'output "p/dist/large.bin" does not match its digest' });
  });
});
