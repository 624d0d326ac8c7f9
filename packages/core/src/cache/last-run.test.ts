import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../model/index.js';
import { entryPath, LocalCache } from './index.js';

let root: string;
let cacheDir: string;
let last: string;
beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-cache-')));
  cacheDir = join(root, '.kiln/cache');
  last = join(cacheDir, 'last');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const open = () => new LocalCache(root, cacheDir);
const batches = () => readdirSync(last).filter((n) => n.startsWith('runs.'));

describe('last runs', () => {
  it('keeps the last run of each task with its fingerprint', async () => {
    const cache = open();
    expect(await cache.lastRun('p:build')).toBeUndefined();
    await cache.setLastRun('p:build', 'abc', { files: { a: '1' } });
    expect(await cache.lastRun('p:build')).toEqual({ hash: 'abc', fingerprint: { files: { a: '1' } } });
    await cache.flushLastRuns();
    expect(await open().lastRun('p:build')).toEqual({ hash: 'abc', fingerprint: { files: { a: '1' } } });
  });

  it('a run recorded without its fingerprint reads it from its entry, and is no last run once the entry is gone (its hash still is)', async () => {
    const cache = open();
    const hash = sha256('restored');
    mkdirSync(join(root, 'p'), { recursive: true });
    writeFileSync(join(root, 'p/out.txt'), 'out\n');
    await cache.store({ hash, task: 'p:build', fingerprint: { files: { 'p/a.ts': '1' } }, durationMs: 1, outputs: ['p/out.txt'], log: Buffer.from('') });
    await cache.setLastRun('p:build', hash);
    await cache.flushLastRuns();
    expect(await open().lastRun('p:build')).toEqual({ hash, fingerprint: { files: { 'p/a.ts': '1' } } });
    rmSync(entryPath(cache, hash), { recursive: true });
    expect(await open().lastRun('p:build')).toBeUndefined();
    // Asked for its hash alone, it is the run on record, entry or not.
    expect(await open().lastRun('p:build', { fingerprint: false })).toEqual({ hash, fingerprint: undefined });
  });

  it("writes a run's records in one file, and nothing when none changed", async () => {
    const cache = open();
    for (let i = 0; i < 50; i++) await cache.setLastRun(`p${i}:build`, `${i}`.padStart(4, '0'), { i, odd: 'a "quoted"\nline' });
    await cache.flushLastRuns();
    expect(readdirSync(last)).toHaveLength(1);
    const again = open();
    for (let i = 0; i < 50; i++) await again.setLastRun(`p${i}:build`, `${i}`.padStart(4, '0'), { i, odd: 'a "quoted"\nline' });
    await again.flushLastRuns();
    expect(readdirSync(last)).toHaveLength(1);
    const reader = open();
    for (const i of [0, 17, 49]) expect(await reader.lastRun(`p${i}:build`)).toEqual({ hash: `${i}`.padStart(4, '0'), fingerprint: { i, odd: 'a "quoted"\nline' } });
  });

  it('the newest file holding a task has its last run; past the limit, the files are merged into one', async () => {
    for (let run = 0; run < 12; run++) {
      const cache = open();
      // Every run records `a` again; `b` only in the first run, `c` every third.
      await cache.setLastRun('a:build', String(run), { run });
      if (run === 0) await cache.setLastRun('b:build', 'b0', { run });
      if (run % 3 === 0) await cache.setLastRun('c:build', `${run}`, { run });
      await cache.flushLastRuns();
      await new Promise((resolve) => setTimeout(resolve, 2));
      expect(batches().length).toBeLessThanOrEqual(9);
      const reader = open();
      expect((await reader.lastRun('a:build'))?.fingerprint).toEqual({ run });
      expect((await reader.lastRun('b:build'))?.fingerprint).toEqual({ run: 0 });
      expect((await reader.lastRun('c:build'))?.fingerprint).toEqual({ run: run - (run % 3) });
    }
    expect(batches().length).toBeLessThan(9);
  });

  it('a write that never finished loses nothing: a half-written file is not one of the records', async () => {
    const cache = open();
    await cache.setLastRun('p:build', 'aaaa', { v: 1 });
    await cache.flushLastRuns();
    // A crash mid-write leaves its temporary file in tmp/, never a partial file in last/; even a damaged one is skipped.
    writeFileSync(
      join(last, `runs.${String(Date.now() + 1000).padStart(15, '0')}.1.ab.jsonl`),
      '{"kind":"kiln-last-runs","version":1,"tasks":[["p:build","bbbb"]]}\n{"task":"p:bu',
    );
    writeFileSync(join(last, `runs.${String(Date.now() + 2000).padStart(15, '0')}.1.cd.jsonl`), '{"kind":"kiln-last-r');
    const reader = open();
    expect(await reader.lastRun('p:build')).toBeUndefined(); // the newest file holding it is damaged: a clean miss, never a wrong record
    rmSync(
      join(
        last,
        readdirSync(last).find((n) => n.includes('.ab.'))!,
      ),
    );
    expect(await open().lastRun('p:build')).toEqual({ hash: 'aaaa', fingerprint: { v: 1 } });
  });

  it('reads the one-file-per-task records of earlier kilns, the newer by time winning, and replaces them when a task is recorded again', async () => {
    mkdirSync(last, { recursive: true });
    const old = join(last, `${encodeURIComponent('@s/p:build')}@1111.json`);
    writeFileSync(old, JSON.stringify({ task: '@s/p:build', hash: '1111', fingerprint: { old: true } }));
    writeFileSync(join(last, `${encodeURIComponent('q:build')}@2222.json`), JSON.stringify({ task: 'q:build', hash: '2222', fingerprint: { old: true } }));
    expect(await open().lastRun('@s/p:build')).toEqual({ hash: '1111', fingerprint: { old: true } });
    const cache = open();
    await cache.setLastRun('@s/p:build', '3333', { old: false });
    await cache.flushLastRuns();
    expect(readdirSync(last).filter((n) => n.endsWith('.json'))).toEqual([`${encodeURIComponent('q:build')}@2222.json`]);
    expect(await open().lastRun('@s/p:build')).toEqual({ hash: '3333', fingerprint: { old: false } });
    expect(await open().lastRun('q:build')).toEqual({ hash: '2222', fingerprint: { old: true } });
    // An earlier kiln writing after this one: its newer file wins.
    writeFileSync(old, JSON.stringify({ task: '@s/p:build', hash: '4444', fingerprint: { older: 'kiln, newer run' } }));
    const later = new Date(Date.now() + 5000);
    utimesSync(old, later, later);
    expect(await open().lastRun('@s/p:build')).toEqual({ hash: '4444', fingerprint: { older: 'kiln, newer run' } });
  });
});
