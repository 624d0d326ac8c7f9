import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryPath, LocalCache } from './index.js';

let root: string;
beforeEach(() => void (root = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-cache-')))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('eviction', () => {
  const threeEntries = async (cache: LocalCache): Promise<void> => {
    for (const [i, h] of ['old', 'mid', 'new'].entries()) {
      mkdirSync(join(root, `p${i}`));
      writeFileSync(join(root, `p${i}/out.txt`), 'x'.repeat(100));
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

});
