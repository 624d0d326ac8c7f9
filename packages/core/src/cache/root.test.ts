import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KilnError, sha256 } from '../model/index.js';
import { CACHE_MARKER, LocalCache, openLocalCache } from './index.js';

let root: string;
let ws: string;
beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-cache-')));
  ws = join(root, 'ws');
  mkdirSync(join(ws, 'tmp'), { recursive: true });
  writeFileSync(join(ws, 'tmp/notes.txt'), 'mine');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** The configuration error `openLocalCache` throws for `dir`, or undefined. */
function refusal(dir: string): KilnError | undefined {
  try {
    openLocalCache(ws, dir);
    return undefined;
  } catch (e) {
    if (e instanceof KilnError) return e;
    throw e;
  }
}

const storeOne = async (cache: LocalCache): Promise<void> => {
  mkdirSync(join(ws, 'p'), { recursive: true });
  writeFileSync(join(ws, 'p/out.txt'), 'built');
  await cache.store({ hash: sha256('one'), task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/out.txt'], log: Buffer.from('') });
};

describe('the cache folder', () => {
  it('refuses the workspace root and a folder holding it, naming the setting', () => {
    for (const dir of [ws, join(ws, '.'), root, '/']) {
      const e = refusal(dir);
      expect(e?.exitCode, dir).toBe(2);
      expect(e?.diagnostics[0]).toMatchObject({ code: 'invalid-config', location: { file: 'nx.json' }, message: expect.stringContaining('kiln.cacheDirectory') });
    }
    expect(refusal(ws)?.message).toContain('is the workspace root');
    expect(refusal(root)?.message).toContain('holds the workspace');
    expect(readFileSync(join(ws, 'tmp/notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses a non-empty folder kiln did not make, and never deletes in it', async () => {
    const foreign = join(root, 'photos');
    mkdirSync(join(foreign, 'tmp'), { recursive: true });
    writeFileSync(join(foreign, 'tmp/draft.txt'), 'keep');
    writeFileSync(join(foreign, 'README'), 'keep');
    expect(refusal(foreign)?.message).toMatch(/kiln\.cacheDirectory \("..\/photos"\) is a folder kiln did not make: it holds other files \("README", "tmp"\)/);
    // Even used without opening, the cache refuses before touching anything.
    const cache = new LocalCache(ws, foreign, { maxSize: 1 });
    await expect(cache.cleanTemp()).rejects.toThrow(KilnError);
    await expect(cache.evict()).rejects.toThrow(KilnError);
    await expect(storeOne(cache)).rejects.toThrow(KilnError);
    expect(readdirSync(foreign).sort()).toEqual(['README', 'tmp']);
    expect(readFileSync(join(foreign, 'tmp/draft.txt'), 'utf8')).toBe('keep');
    // Another tool's cache directory tag is not kiln's.
    writeFileSync(join(foreign, CACHE_MARKER), 'Signature: 8a477f597d28d172789f06886806bc55\n# cargo\n');
    expect(refusal(foreign)).toBeDefined();
  });

  it('makes and marks a new folder, and uses an empty one, a marked one, or one an older kiln laid out', async () => {
    const fresh = join(root, 'shared/cache');
    const cache = openLocalCache(ws, fresh);
    expect(existsSync(fresh)).toBe(false); // opening writes nothing
    await storeOne(cache);
    expect(readFileSync(join(fresh, CACHE_MARKER), 'utf8')).toMatch(/^Signature: 8a477f597d28d172789f06886806bc55\n# This file marks a kiln build cache/);
    expect(refusal(fresh)).toBeUndefined();
    expect((await openLocalCache(ws, fresh).restore(sha256('one'))).status).toBe('hit');

    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(refusal(empty)).toBeUndefined();

    // An older kiln's cache: entries/, last/ and tmp/, no marker. It is marked on the first write.
    const older = join(root, 'older');
    for (const d of ['entries', 'last', 'tmp']) mkdirSync(join(older, d), { recursive: true });
    const adopted = openLocalCache(ws, older);
    await adopted.cleanTemp();
    expect(existsSync(join(older, CACHE_MARKER))).toBe(true);
  });

  it('takes a key that is not a hash for a miss, and refuses to store under one', async () => {
    const cache = openLocalCache(ws, join(ws, '.kiln/cache'));
    expect(await cache.restore('../../tmp')).toEqual({ status: 'miss' });
    await expect(cache.store({ hash: '../../tmp', task: 'p:build', fingerprint: {}, durationMs: 1, outputs: [], log: Buffer.from('') })).rejects.toThrow(/SHA-256/);
    expect(readFileSync(join(ws, 'tmp/notes.txt'), 'utf8')).toBe('mine');
  });
});
