#!/usr/bin/env node
/**
 * Times restoring a whole run from bodies already in memory: what kiln does once a run bundle
 * (one remote object holding every entry of a run) has been fetched. No HTTP: every kiln entry of
 * a Turborepo remote cache server's storage folder is read into memory first, then each goes
 * through `LocalCache.receiveAndRestore`, the path a downloaded entry takes (every digest
 * verified, the entry kept in the local store, its outputs written), 32 at a time as `kiln run`
 * does, into a workspace whose outputs and `.kiln/` are moved aside first (never deleted: see
 * README.md on ext4 without a journal). Prints wall time, the process's CPU (every thread) and
 * the main thread's.
 *
 *   node tools/bench/restore-at-hand.mjs --storage tools/bench/.work/ws-1000.remote-cache/bench \
 *     --workspace /tmp/ws-copy [--kiln /path/to/kiln/checkout] [--runs 3] [--threads N] [--caller-busy]
 *
 * --workspace: a copy of the bench's kiln workspace (`ws-N.kiln`); each run moves its
 *   `packages/<name>/dist` folders and `.kiln` into `<workspace>.aside/<time>/`.
 * --kiln: the checkout whose built `packages/core/dist` restores (default: this one), for A/B.
 * --threads: KILN_RESTORE_THREADS for the run (restore workers; 0: on the main thread).
 * --caller-busy: do not tell the cache the bodies are at hand (restore as for HTTP downloads).
 * --pause: seconds to wait after moving things aside, before timing (default 2).
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const here = dirname(new URL(import.meta.url).pathname);
const { values: args } = parseArgs({
  options: {
    storage: { type: 'string' },
    workspace: { type: 'string' },
    kiln: { type: 'string', default: resolve(here, '../..') },
    runs: { type: 'string', default: '1' },
    threads: { type: 'string' },
    'caller-busy': { type: 'boolean', default: false },
    pause: { type: 'string', default: '2' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help || args.storage === undefined || args.workspace === undefined) {
  console.log('usage: node tools/bench/restore-at-hand.mjs --storage DIR --workspace DIR [--kiln REPO] [--runs N] [--threads N] [--caller-busy] [--pause S]');
  process.exit(args.help ? 0 : 2);
}
if (args.threads !== undefined) process.env.KILN_RESTORE_THREADS = args.threads;

const MAGIC = Buffer.from('kiln-entry 1\n');
const core = (sub) => import(pathToFileURL(join(resolve(args.kiln), 'packages/core/dist', sub)).href);
const { openLocalCache, startRestoreWorkerFor } = await core('cache/index.js');
const { StatCache } = await core('files/index.js');
const { default: pLimit } = await import(pathToFileURL(join(resolve(args.kiln), 'node_modules/p-limit/index.js')).href);

/** The storage's kiln entries (turbo's artifacts lie beside them), by hash: their first bytes say which are kiln's. */
function kilnEntries(storage) {
  const head = Buffer.alloc(MAGIC.length);
  const bodies = new Map();
  for (const name of readdirSync(storage)) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    const fd = openSync(join(storage, name), 'r');
    const n = readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    if (n === head.length && head.equals(MAGIC)) bodies.set(name, readFileSync(join(storage, name)));
  }
  return bodies;
}

/** Moves the workspace's outputs and `.kiln` aside (renames only, nothing deleted). */
function moveAside(ws) {
  const aside = join(`${ws}.aside`, String(Date.now()));
  mkdirSync(join(aside, 'packages'), { recursive: true });
  for (const p of readdirSync(join(ws, 'packages'))) {
    const dist = join(ws, 'packages', p, 'dist');
    if (!existsSync(dist)) continue;
    mkdirSync(join(aside, 'packages', p));
    renameSync(dist, join(aside, 'packages', p, 'dist'));
  }
  if (existsSync(join(ws, '.kiln'))) renameSync(join(ws, '.kiln'), join(aside, '.kiln'));
}

/** The CPU time (ms) of this process's main thread, from /proc (Linux), or undefined. */
function mainThreadCpuMs() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
}

async function* once(body) {
  yield body;
}

const ws = resolve(args.workspace);
const bodies = kilnEntries(resolve(args.storage));
const bytes = [...bodies.values()].reduce((s, b) => s + b.length, 0);
console.log(`${bodies.size} kiln entries, ${(bytes / 1024 / 1024).toFixed(1)} MiB, restored with ${resolve(args.kiln)}`);

for (let run = 0; run < Number(args.runs); run++) {
  moveAside(ws);
  const cacheDir = join(ws, '.kiln', 'cache');
  // A fresh clone's run starts a worker early (while it plans): so does this, outside the timing.
  startRestoreWorkerFor(ws, cacheDir);
  await new Promise((r) => setTimeout(r, Number(args.pause) * 1000));
  const cache = openLocalCache(ws, cacheDir);
  const index = await StatCache.load(join(ws, '.kiln', 'file-digests'));
  const atHand = !args['caller-busy'] && typeof cache.bodiesAtHand === 'function';
  const warnings = [];
  const counts = new Map();
  let files = 0;
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const t0 = performance.now();
  if (atHand) cache.bodiesAtHand(bytes);
  const limit = pLimit(32);
  await Promise.all(
    [...bodies].map(([hash, body]) =>
      limit(async () => {
        const r = await cache.receiveAndRestore(
          hash,
          once(body),
          () => undefined,
          index,
          body.length,
          (m) => warnings.push(m),
        );
        counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
        if (r.status === 'hit') files += r.restoredFiles;
      }),
    ),
  );
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const main = main0 === undefined ? undefined : mainThreadCpuMs() - main0;
  const results = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  console.log(
    `run ${run + 1}: ${wall.toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU (${(cpu.user / 1000).toFixed(0)} user, ${(cpu.system / 1000).toFixed(0)} sys)` +
      `${main === undefined ? '' : `, main thread ${main} ms`}; ${results}; ${files} files${atHand ? '; bodies at hand' : ''}` +
      `${cache.restoreWorkers === undefined ? '' : `; ${cache.restoreWorkers} restore workers`}` +
      `${process.env.KILN_RESTORE_THREADS === undefined ? '' : `; KILN_RESTORE_THREADS=${process.env.KILN_RESTORE_THREADS}`}`,
  );
  for (const w of new Set(warnings)) console.log(`  warning: ${w}`);
}
