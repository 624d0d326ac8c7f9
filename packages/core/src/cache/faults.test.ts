/**
 * A cache that cannot be written answers `unavailable` and never throws: the folder is a file, or
 * writes fail with injected file-system errors (root ignores chmod, so read-only and full disks
 * are simulated here; test/cache-faults.test.ts runs the same faults through the real binary).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sha256 } from '../model/index.js';
import { entryPath, LocalCache, storedCopyPath } from './index.js';

/** Calls on paths below `under` that change something fail with `code`; `only` narrows them to some names. */
const fault = vi.hoisted(() => ({ under: undefined as string | undefined, code: 'EROFS', only: undefined as readonly string[] | undefined, calls: 0 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const changing = { mkdir: 0, writeFile: 0, rename: 1, rm: 0, copyFile: 1, chmod: 0, open: 0 } as const;
  const patched: Record<string, unknown> = { ...fs };
  for (const [name, at] of Object.entries(changing)) {
    const original = (fs as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[name]!;
    patched[name] = async (...args: unknown[]) => {
      const path = String(args[at]);
      const writes = name !== 'open' || (args[1] !== undefined && args[1] !== 'r');
      if (fault.under !== undefined && writes && path.startsWith(fault.under) && (fault.only === undefined || fault.only.includes(name))) {
        fault.calls++;
        throw Object.assign(new Error(`${fault.code}: injected, ${name} '${path}'`), { code: fault.code, path });
      }
      return original(...args);
    };
  }
  return { ...patched, default: patched };
});

let root: string;
beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-cache-')));
  mkdirSync(join(root, 'p'));
  writeFileSync(join(root, 'p/out.txt'), 'built');
});
afterEach(() => {
  fault.under = undefined;
  fault.only = undefined;
  fault.calls = 0;
  rmSync(root, { recursive: true, force: true });
});

const request = (name: string) => ({ hash: sha256(name), task: `${name}:build`, fingerprint: {}, durationMs: 1, outputs: ['p/out.txt'], log: Buffer.from('log') });

describe('a cache that cannot be written', () => {
  it('whose folder is a file: restores and stores are unavailable, housekeeping does nothing', async () => {
    writeFileSync(join(root, 'cache'), 'a file');
    const cache = new LocalCache(root, join(root, 'cache'));
    const unusable = { status: 'unavailable', reason: 'the cache directory "cache" is not a folder: nothing is restored from it or stored in it' };
    expect(await cache.restore(sha256('a'))).toEqual(unusable);
    expect(await cache.store(request('a'))).toEqual(unusable);
    await cache.setLastRun('a:build', sha256('a'), {});
    await cache.cleanTemp();
    expect(await cache.evict()).toBe(0);
    expect(readFileSync(join(root, 'cache'), 'utf8')).toBe('a file');
  });

  it('on a full disk: the store fails whole, leaves nothing in tmp/, and no other store is tried', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    expect((await cache.store(request('before'))).status).toBe('stored');
    fault.under = join(root, '.kiln/cache/tmp');
    fault.code = 'ENOSPC';
    fault.only = ['writeFile'];
    const first = await cache.store(request('a'));
    expect(first).toEqual({ status: 'unavailable', reason: expect.stringMatching(/^the cache directory ".kiln\/cache" cannot be written \(ENOSPC: injected, writeFile/) });
    expect(fault.calls).toBe(1);
    expect(await cache.store(request('b'))).toEqual(first);
    await cache.setLastRun('b:build', sha256('b'), {});
    expect(fault.calls).toBe(1);
    expect(readdirSync(join(root, '.kiln/cache/tmp'))).toEqual([]);
    expect(readdirSync(join(root, '.kiln/cache/entries'))).toEqual([sha256('before')]);
    // What is there still restores.
    rmSync(join(root, 'p/out.txt'));
    expect((await cache.restore(sha256('before'))).status).toBe('hit');
    expect(readFileSync(join(root, 'p/out.txt'), 'utf8')).toBe('built');
  });

  it('read-only: hits restore, a corrupt entry is reported though it cannot be removed, stores are unavailable', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    for (const name of ['good', 'bad']) await cache.store(request(name));
    writeFileSync(storedCopyPath(cache, sha256('bad'), 'p/out.txt')!, 'tampered');
    fault.under = join(root, '.kiln/cache');
    fault.code = 'EROFS';
    rmSync(join(root, 'p/out.txt'));
    expect((await cache.restore(sha256('good'))).status).toBe('hit');
    rmSync(join(root, 'p/out.txt'));
    expect((await cache.restore(sha256('bad'))).status).toBe('corrupt');
    expect(existsSync(entryPath(cache, sha256('bad')))).toBe(true);
    writeFileSync(join(root, 'p/out.txt'), 'built');
    expect(await cache.store(request('new'))).toEqual({ status: 'unavailable', reason: expect.stringContaining('cannot be written (EROFS') });
    await cache.cleanTemp();
    expect(await cache.evict()).toBe(0);
  });

  it('another file-system error: that result is not stored, the next one is', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    fault.under = join(root, '.kiln/cache/tmp');
    fault.code = 'EIO';
    fault.only = ['writeFile'];
    expect(await cache.store(request('a'))).toEqual({ status: 'unavailable', reason: expect.stringMatching(/^a result could not be stored \(EIO/) });
    fault.under = undefined;
    expect(await cache.store(request('b'))).toEqual({ status: 'stored' });
  });
});
