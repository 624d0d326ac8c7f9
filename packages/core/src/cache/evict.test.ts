import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../model/index.js';
import { entryPath, LocalCache } from './index.js';

let root: string;
beforeEach(() => void (root = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-cache-')))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('eviction', () => {
  const threeEntries = async (cache: LocalCache): Promise<void> => {
    for (const [i, h] of ['old', 'mid', 'new'].map(sha256).entries()) {
      mkdirSync(join(root, `p${i}`));
      writeFileSync(join(root, `p${i}/out.txt`), 'x'.repeat(100));
      await cache.store({ hash: h, task: `p${i}:build`, fingerprint: {}, durationMs: 1, outputs: [`p${i}/out.txt`], log: Buffer.from('') });
      const t = new Date(Date.UTC(2020, 0, 1 + i));
      utimesSync(join(entryPath(cache, h), 'meta.json'), t, t);
    }
  };

  /** Which of the three entries are still there. */
  const kept = (cache: LocalCache): string[] => ['old', 'mid', 'new'].filter((name) => existsSync(entryPath(cache, sha256(name))));

  it('evicts the least recently used entries beyond the size limit', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'), { maxSize: 250 });
    await threeEntries(cache);
    expect(await cache.evict()).toBe(1);
    expect(kept(cache)).toEqual(['mid', 'new']);
  });

  it('lists, evicts and cleans packed entries (received from a remote) like any other', async () => {
    const sender = new LocalCache(root, join(root, 'sender'));
    const cache = new LocalCache(root, join(root, '.kiln/cache'), { maxSize: 250 });
    await threeEntries(sender);
    for (const name of ['old', 'mid', 'new']) {
      const s = await sender.entryStream(sha256(name));
      expect(await cache.receive(sha256(name), s!.open(), () => undefined)).toMatchObject({ status: 'received', packed: { pack: expect.any(Buffer) } });
      const t = new Date(Date.UTC(2020, 0, 1 + ['old', 'mid', 'new'].indexOf(name)));
      utimesSync(join(entryPath(cache, sha256(name)), 'meta.json'), t, t);
    }
    expect(readdirSync(entryPath(cache, sha256('old'))).sort()).toEqual(['meta.json', 'pack']);
    expect(await cache.evict()).toBe(1);
    expect(kept(cache)).toEqual(['mid', 'new']);
    expect((await cache.entries()).map((r) => r.size)).toEqual([100, 100]);
    // `kiln cache clean` (a later process: the folder is marked by now).
    expect(await new LocalCache(root, join(root, '.kiln/cache')).clean()).toEqual({ removed: 2, bytes: 200 });
    expect(readdirSync(join(root, '.kiln/cache/entries'))).toEqual([]);
  });

  it('counts uses the access times do not show (runs answered by a run manifest) when evicting', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'), { maxSize: 250 });
    await threeEntries(cache);
    expect(await cache.evict(new Map([[sha256('old'), Date.UTC(2020, 0, 5)]]))).toBe(1);
    expect(kept(cache)).toEqual(['old', 'new']);
  });

  it('removes only well-formed entries: folders named by a hash, holding a meta.json kiln wrote for that hash', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'), { maxSize: 0 });
    await threeEntries(cache);
    const entries = join(root, '.kiln/cache/entries');
    const old = new Date(Date.UTC(2019, 0, 1));
    const meta = (hash: string, size: number): string => {
      const json = JSON.stringify({ layout: 2, hash, task: 'x:y', code: 0, durationMs: 1, createdAt: '', size, log: {}, files: [] });
      return `${sha256(json)}\n${json}`;
    };
    const foreign: Record<string, string> = {
      photos: meta('photos', 500), // not a hash
      [sha256('no checksum')]: '{"size":900}',
      [sha256('another hash')]: meta(sha256('yet another'), 900),
    };
    for (const [name, text] of Object.entries(foreign)) {
      mkdirSync(join(entries, name));
      writeFileSync(join(entries, name, 'meta.json'), text);
      writeFileSync(join(entries, name, 'photo.jpg'), 'mine');
      utimesSync(join(entries, name, 'meta.json'), old, old);
    }
    writeFileSync(join(entries, sha256('a file')), 'mine');
    mkdirSync(join(root, 'elsewhere'));
    writeFileSync(join(root, 'elsewhere/meta.json'), meta(sha256('a link'), 900));
    symlinkSync(join(root, 'elsewhere'), join(entries, sha256('a link')));

    expect(await cache.evict()).toBe(3);
    expect(readdirSync(entries).sort()).toEqual([...Object.keys(foreign), sha256('a file'), sha256('a link')].sort());
    for (const name of Object.keys(foreign)) expect(readdirSync(join(entries, name)).sort()).toEqual(['meta.json', 'photo.jpg']);
    expect(readdirSync(join(root, 'elsewhere'))).toEqual(['meta.json']);
  });

  it('clears from tmp/ only the names kiln gives, of processes that are gone', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    await cache.setLastRun('p:build', sha256('x'), {});
    await cache.flushLastRuns();
    const tmp = join(root, '.kiln/cache/tmp');
    const gone = spawnSync('true').pid;
    const ours = `${sha256('mine')}.${process.pid}.0a0b0c0d0e0f`;
    for (const name of ['notes.txt', `data.${gone}.abcdef`, `${sha256('half')}.${gone}.0a0b0c0d0e0f`, `trash.${sha256('old')}.${gone}.0a0b0c0d`, `last.${gone}.0a0b0c0d`, ours])
      writeFileSync(join(tmp, name), '');
    await cache.cleanTemp();
    expect(readdirSync(tmp).sort()).toEqual([`data.${gone}.abcdef`, ours, 'notes.txt'].sort());
  });
});
