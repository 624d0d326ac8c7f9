import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../model/index.js';
import { CACHE_LAYOUT_VERSION, entryPath, LocalCache, storedCopyPath } from './index.js';

let root: string;
beforeEach(() => void (root = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-cache-')))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

const write = (p: string, content: string): void => {
  mkdirSync(join(root, p, '..'), { recursive: true });
  writeFileSync(join(root, p), content);
};

describe('storing', () => {
  it('never stores over an entry another process completed first', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    write('p/out.txt', 'first');
    await cache.store({ hash: sha256('h6'), task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/out.txt'], log: Buffer.from('') });
    write('p/out.txt', 'second');
    await cache.store({ hash: sha256('h6'), task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/out.txt'], log: Buffer.from('') });
    expect(readFileSync(storedCopyPath(cache, sha256('h6'), 'p/out.txt')!, 'utf8')).toBe('first');
    expect(readdirSync(join(root, '.kiln/cache/tmp'))).toEqual([]);
  });


  describe('replaces an entry folder that is not a whole entry when storing', () => {
    const store = (cache: LocalCache) => cache.store({ hash: sha256('w1'), task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/out.txt'], log: Buffer.from('') });
    const variants: [string, (dir: string) => void][] = [
      ['without meta.json', (dir) => mkdirSync(join(dir, 'out'), { recursive: true })],
      ['of an older layout', (dir) => {
        const json = JSON.stringify({ layout: CACHE_LAYOUT_VERSION - 1, hash: sha256('w1'), files: [] });
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'meta.json'), `${createHash('sha256').update(json).digest('hex')}\n${json}`);
      }],
      ['whose meta.json is a folder', (dir) => mkdirSync(join(dir, 'meta.json', 'x'), { recursive: true })],
      ['that is a file', (dir) => {
        mkdirSync(join(dir, '..'), { recursive: true });
        writeFileSync(dir, 'junk');
      }],
    ];
    for (const [name, make] of variants) {
      it(name, async () => {
        const cache = new LocalCache(root, join(root, '.kiln/cache'));
        make(entryPath(cache, sha256('w1')));
        write('p/out.txt', 'built');
        await store(cache);
        rmSync(join(root, 'p/out.txt'));
        expect((await cache.restore(sha256('w1'))).status).toBe('hit');
        expect(readFileSync(join(root, 'p/out.txt'), 'utf8')).toBe('built');
        expect(readdirSync(join(root, '.kiln/cache/tmp'))).toEqual([]);
      });
    }

    it('keeps one that is whole (another process stored it first), and reads a meta.json that is a folder as corrupt', async () => {
      const cache = new LocalCache(root, join(root, '.kiln/cache'));
      write('p/out.txt', 'first');
      await store(cache);
      write('p/out.txt', 'second');
      await store(cache);
      expect(readFileSync(storedCopyPath(cache, sha256('w1'), 'p/out.txt')!, 'utf8')).toBe('first');
      rmSync(entryPath(cache, sha256('w1')), { recursive: true });
      mkdirSync(join(entryPath(cache, sha256('w1')), 'meta.json'), { recursive: true });
      expect(await cache.restore(sha256('w1'))).toEqual({ status: 'corrupt', reason: 'meta.json is not a file' });
    });
  });

});
