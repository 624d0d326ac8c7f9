/**
 * Restoring a run's entries from bodies already in memory (a run bundle), through
 * tools/bench/restore-at-hand.mjs and the built `LocalCache`: told the bodies are at hand
 * (`bodiesAtHand`), the cache restores on a worker per core (at most 4), all started at once, or
 * on the calling thread when they are too few bytes to repay a worker's start-up
 * (`AT_HAND_WORKERS_MIN_BYTES`); otherwise it keeps the workers of a download (the cores left after
 * the network thread); KILN_RESTORE_THREADS still decides when set. The outputs are byte-identical
 * either way, and the storage's other artifacts (turbo's) are left out. Worker starts are seen
 * through fixtures/worker-starts.mjs.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from './helpers/repo.js';

const PROJECTS = ['a', 'b', 'c', 'd', 'e', 'f'];

/** Every file below `dir`'s packages, with its content. */
function outputs(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'latin1');
    }
  };
  walk(join(dir, 'packages'));
  return out;
}

describe('restore-at-hand.mjs', () => {
  /** Each storage's folder and the outputs its entries hold: a few bytes, and enough to repay the workers. */
  const sets = new Map<'small' | 'large', { storage: string; sent: Record<string, string> }>();
  let minBytes: number;
  beforeAll(async () => {
    const { LocalCache } = await import(pathToFileURL(join(repoRoot, 'packages/core/dist/cache/index.js')).href);
    ({ AT_HAND_WORKERS_MIN_BYTES: minBytes } = await import(pathToFileURL(join(repoRoot, 'packages/core/dist/cache/restore-pool.js')).href));
    for (const size of ['small', 'large'] as const) {
      const base = tempDir('kiln-at-hand-');
      const sender = join(base, 'sender');
      const storage = join(base, 'storage');
      mkdirSync(storage);
      const cache = new LocalCache(sender, join(sender, '.kiln/cache'));
      for (const [i, p] of PROJECTS.entries()) {
        mkdirSync(join(sender, 'packages', p, 'dist/sub'), { recursive: true });
        const files = [1, 2, 3, 4].map((n) => `packages/${p}/dist/f${n}.js`).concat(`packages/${p}/dist/sub/deep.js`);
        for (const f of files) writeFileSync(join(sender, f), `${f} of project ${p}\n`);
        // Random bytes: a large set's entries hold a sixth of the threshold each, whatever the store's packing.
        if (size === 'large') writeFileSync(join(sender, files[0]!), randomBytes(Math.ceil(minBytes / PROJECTS.length)));
        const hash = String(i).repeat(64);
        await cache.store({ hash, task: `${p}:build`, fingerprint: { p }, durationMs: 10, outputs: files, log: Buffer.from(`built ${p}\n`) });
        const chunks: Uint8Array[] = [];
        for await (const c of (await cache.entryStream(hash)).open()) chunks.push(c);
        writeFileSync(join(storage, hash), Buffer.concat(chunks));
      }
      // turbo's artifacts share the storage: not kiln entries, left out.
      writeFileSync(join(storage, 'f'.repeat(64)), 'not a kiln entry');
      sets.set(size, { storage, sent: outputs(sender) });
    }
  });

  const restore = (size: 'small' | 'large', ...args: string[]) => {
    // Inside a folder of its own: the script moves what it restored aside into `<ws>.aside`, beside it.
    const ws = join(tempDir('kiln-at-hand-'), 'ws');
    mkdirSync(ws);
    mkdirSync(join(ws, 'packages'));
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--import ${pathToFileURL(join(repoRoot, 'test/fixtures/worker-starts.mjs')).href}` };
    delete env.KILN_RESTORE_THREADS;
    const r = spawnSync(process.execPath, [join(repoRoot, 'tools/bench/restore-at-hand.mjs'), '--storage', sets.get(size)!.storage, '--workspace', ws, '--pause', '0', ...args], {
      env,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(outputs(ws)).toEqual(sets.get(size)!.sent);
    const starts = r.stderr.split('\n').filter((l) => l === '[worker started]').length;
    const workers = Number(/; (\d+) restore workers/.exec(r.stdout)?.[1]);
    expect(r.stdout).toMatch(/^6 kiln entries/);
    expect(r.stdout).toMatch(/run 1: \d+ ms wall, \d+ ms CPU .*; 6 hit; 30 files/);
    return { stdout: r.stdout, starts, workers };
  };

  it('restores every kiln entry on a worker per core when told the bodies are at hand, all started at once', () => {
    const r = restore('large');
    expect(r.stdout).toContain('bodies at hand');
    expect(r.workers).toBe(Math.max(1, Math.min(4, availableParallelism())));
    expect(r.starts).toBe(r.workers);
  });

  it('restores a few bytes at hand on the calling thread, ending the worker started early', () => {
    const r = restore('small');
    expect(r.stdout).toContain('bodies at hand');
    expect(r.workers).toBe(0);
    // The script starts one early, as a fresh clone does before it knows the bundle's size.
    expect(r.starts).toBe(1);
  });

  it('keeps the workers of a download when not told, and KILN_RESTORE_THREADS decides when set', () => {
    const busy = restore('small', '--caller-busy');
    expect(busy.stdout).not.toContain('bodies at hand');
    expect(busy.workers).toBe(Math.max(1, Math.min(4, availableParallelism() - 2)));
    expect(busy.starts).toBeGreaterThanOrEqual(1);
    expect(busy.starts).toBeLessThanOrEqual(busy.workers);
    const one = restore('small', '--threads', '1');
    expect(one.stdout).toContain('bodies at hand');
    expect([one.workers, one.starts]).toEqual([1, 1]);
    const none = restore('large', '--threads', '0');
    expect([none.workers, none.starts]).toEqual([0, 0]);
  });
});
