import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalCache } from './index.js';

let root: string;
beforeEach(() => void (root = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-cache-')))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('last runs', () => {
  it('keeps the last run of each task with its fingerprint', async () => {
    const cache = new LocalCache(root, join(root, '.kiln/cache'));
    expect(await cache.lastRun('p:build')).toBeUndefined();
    await cache.setLastRun('p:build', 'abc', { files: { a: '1' } });
    expect(await cache.lastRun('p:build')).toEqual({ hash: 'abc', fingerprint: { files: { a: '1' } } });
  });

});
