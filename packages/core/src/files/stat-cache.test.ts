import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stats } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { StatCache } from './stat-cache.js';

const stat = (size: number, mtimeMs: number, ctimeMs: number, ino: number) => ({ size, mtimeMs, ctimeMs, ino }) as Stats;
const OID = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));
const file = () => join((dir = mkdtempSync(join(tmpdir(), 'kiln-stat-cache-'))), '.kiln', 'file-digests');

describe('StatCache', () => {
  it('keeps every row through a save, times with their fractions and paths in any script', async () => {
    const f = file();
    const stats = await StatCache.load(f);
    stats.set('a/b.ts', stat(12, 1765105203123.4567, 1765105203999.0001, 4_294_967_299), OID);
    stats.set('ü/日本.js', stat(0, 1, 2, 3), OID.replace('e', 'f'));
    await stats.save();
    const again = await StatCache.load(f);
    expect(again.get('a/b.ts', stat(12, 1765105203123.4567, 1765105203999.0001, 4_294_967_299))).toBe(OID);
    expect(again.get('ü/日本.js', stat(0, 1, 2, 3))).toBe(OID.replace('e', 'f'));
    // Any field moved: not known.
    expect(again.get('a/b.ts', stat(12, 1765105203123.4577, 1765105203999.0001, 4_294_967_299))).toBeUndefined();
    expect(again.get('a/c.ts', stat(12, 1765105203123.4567, 1765105203999.0001, 4_294_967_299))).toBeUndefined();
  });

  it('reads a damaged file, an older format or another byte order as empty', async () => {
    const f = file();
    const stats = await StatCache.load(f);
    stats.set('a.ts', stat(1, 2, 3, 4), OID);
    await stats.save();
    const good = readFileSync(f);
    const variants = {
      truncated: good.subarray(0, good.length - 1),
      'older format': Buffer.from(`kiln-stat-cache 2\0a.ts\x001\x002\x003\x004\0${OID}\0`),
      'other byte order': Buffer.concat([good.subarray(0, 24), Buffer.from(good.subarray(24, 32)).reverse(), good.subarray(32)]),
    };
    for (const [what, bytes] of Object.entries(variants)) {
      writeFileSync(f, bytes);
      expect((await StatCache.load(f)).get('a.ts', stat(1, 2, 3, 4)), what).toBeUndefined();
    }
    writeFileSync(f, good);
    expect((await StatCache.load(f)).get('a.ts', stat(1, 2, 3, 4))).toBe(OID);
  });
});
