/**
 * Scenario 8 of the benchmark: a fresh clone (no outputs, no local cache, no tool state) whose
 * remote cache holds every task, kiln and turbo against the same Turborepo remote cache server
 * (`turborepo-remote-cache` from npm, local storage, on 127.0.0.1). Both are configured by
 * turbo's own variables (TURBO_API, TURBO_TOKEN, TURBO_TEAM), which kiln reads too. The row's
 * setup starts the server on a storage folder beside the workspace (`<ws>.remote-cache`, kept by
 * --keep and used again by --reuse) and fills it: one build per tool, both at once (each in its
 * own copy), which builds only what the server lacks, so a kept server fills in seconds. Each
 * timed run then starts without the outputs and the tool's state, which are moved aside, not
 * deleted (see `aside`), and removed when the row ends. The row's note gives the floors
 * it stands on: node's start, one process downloading kiln's artifacts (the same bytes) and
 * writing each to a file, and `cp -r` of the restored outputs (the same files created).
 * nx has no self-hosted remote cache of this API.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, closeSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const TOKEN = 'bench-token';
const TEAM = 'bench';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts turborepo-remote-cache with its storage in `storage` (kept, used again) or, without it, in a
 * new temporary folder of `work` (removed by `stop`).
 */
export async function startTurboCacheServer(kilnRepoRoot, work, storage) {
  // In the bench's own work folder: a run takes long, and shared temporary folders get cleaned meanwhile.
  const dir = storage ?? mkdtempSync(join(work, 'remote-cache-'));
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    TURBO_TOKEN: TOKEN,
    STORAGE_PROVIDER: 'local',
    STORAGE_PATH: dir,
    STORAGE_PATH_USE_TMP_FOLDER: 'false',
    LOG_LEVEL: 'warn',
  };
  const child = spawn(process.execPath, [join(kilnRepoRoot, 'node_modules/turborepo-remote-cache/dist/cli.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const up = await fetch(`${url}/v8/artifacts/status`, { headers: { authorization: `Bearer ${TOKEN}` } }).then(
      (r) => r.ok,
      () => false,
    );
    if (up)
      return {
        url,
        env: { TURBO_API: url, TURBO_TOKEN: TOKEN, TURBO_TEAM: TEAM },
        dir,
        stop: () => {
          child.kill('SIGTERM');
          if (storage === undefined) rmSync(dir, { recursive: true, force: true });
        },
      };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`turborepo-remote-cache did not start:\n${stderr}`);
}

/** The server's artifacts that are kiln entries (their first bytes say so), as `[team, key]`. */
function kilnArtifacts(dir) {
  const out = [];
  const head = Buffer.alloc(13);
  for (const team of readdirSync(dir)) {
    if (!existsSync(join(dir, team)) || team.startsWith('.')) continue;
    let keys;
    try {
      keys = readdirSync(join(dir, team));
    } catch {
      continue;
    }
    for (const key of keys) {
      if (!/^[0-9a-f]{64}$/.test(key)) continue;
      const fd = openSync(join(dir, team, key), 'r');
      const n = readSync(fd, head, 0, 13, 0);
      closeSync(fd);
      if (head.subarray(0, n).toString('latin1') === 'kiln-entry 1\n') out.push([team, key]);
    }
  }
  return out;
}

/** A node program that downloads `keys` (8 at a time, keep-alive) and writes each body to a file of `dest`: the floor of a restore's network and disk work. */
const DOWNLOAD_FLOOR = `
const [url, token, team, dest, ...keys] = process.argv.slice(1);
const { writeFile } = await import('node:fs/promises');
let next = 0;
async function worker() {
  while (next < keys.length) {
    const key = keys[next++];
    const res = await fetch(url + '/v8/artifacts/' + key + '?slug=' + team, { headers: { authorization: 'Bearer ' + token } });
    if (res.status !== 200) throw new Error('GET ' + key + ': ' + res.status);
    await writeFile(dest + '/' + key, Buffer.from(await res.arrayBuffer()));
  }
}
await Promise.all(Array.from({ length: 8 }, worker));
`;

/**
 * A node program that fetches the run bundle `key` and, on two threads, does what any sound restore
 * through it must do, with no planning at all: verify each entry (its manifest's checksum, every
 * file's git blob id), keep it in a store below `dest` (a folder with its pack and manifest, renamed
 * into place) and write its outputs below `dest` (each file created, written, its stat taken). The
 * floor of a fresh clone restoring through its commit's bundle.
 */
const BUNDLE_FLOOR = `
const [url, token, team, dest, key] = process.argv.slice(1);
const { Worker } = await import('node:worker_threads');
const res = await fetch(url + '/v8/artifacts/' + key + '?slug=' + team, { headers: { authorization: 'Bearer ' + token } });
if (res.status !== 200) throw new Error('GET the bundle: ' + res.status);
const buf = Buffer.from(await res.arrayBuffer());
const headerEnd = 12 + buf.readUInt32BE(8);
const parts = [[], []];
let at = headerEnd;
JSON.parse(buf.subarray(12, headerEnd).toString()).entries.forEach(([hash, size], i) => { parts[i % 2].push([hash, at, size]); at += size; });
const shared = new SharedArrayBuffer(buf.length);
Buffer.from(shared).set(buf);
// CommonJS, without this program's --input-type=module.
const code = \`
const { workerData: { shared, jobs, dest } } = require('node:worker_threads');
const { mkdirSync, openSync, writeSync, closeSync, fstatSync, writeFileSync, renameSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { dirname, join } = require('node:path');
const all = Buffer.from(shared);
const made = new Set();
const store = join(dest, '.store');
mkdirSync(join(store, 'entries'), { recursive: true });
mkdirSync(join(store, 'tmp'), { recursive: true });
for (const [hash, off, size] of jobs) {
  const e = all.subarray(off, off + size);
  let p = e.indexOf(10) + 1;
  const q = e.indexOf(10, p);
  const len = Number(e.subarray(p, q).toString());
  p = q + 1;
  const text = e.subarray(p, p + len).toString();
  p += len;
  const body = text.slice(65);
  if (createHash('sha256').update(body).digest('hex') !== text.slice(0, 64)) throw new Error('manifest checksum');
  const meta = JSON.parse(body.slice(0, body.lastIndexOf(',"fingerprint":')) + '}');
  let o = p;
  for (const f of meta.files) {
    if (createHash('sha1').update('blob ' + f.size + '\\0').update(e.subarray(o, o + f.size)).digest('hex') !== f.oid) throw new Error('blob id');
    o += f.size;
  }
  const tmp = join(store, 'tmp', hash);
  mkdirSync(tmp);
  writeFileSync(join(tmp, 'pack'), e.subarray(p, o));
  writeFileSync(join(tmp, 'meta.json'), text);
  renameSync(tmp, join(store, 'entries', hash));
  o = p;
  for (const f of meta.files) {
    const out = join(dest, f.path);
    if (!made.has(dirname(out))) { mkdirSync(dirname(out), { recursive: true }); made.add(dirname(out)); }
    const fd = openSync(out, 'wx', f.mode);
    writeSync(fd, e, o, f.size);
    o += f.size;
    fstatSync(fd);
    closeSync(fd);
  }
}
\`;
await Promise.all(parts.map((jobs) => new Promise((resolve, reject) => new Worker(code, { eval: true, execArgv: [], workerData: { shared, jobs, dest } }).on('exit', resolve).on('error', reject))));
`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * How long ext4 without a journal (this machine's disk: /proc/fs/jbd2 is empty) keeps a freed
 * inode from being used again: 30 s, 35 while its inode table block is dirty (fs/ext4/ialloc.c,
 * `recently_deleted`). Each new file's allocation scans past every such inode of its group, so
 * creating files just after deleting tens of thousands costs several times the system time (kiln
 * at 1,000 projects: 8.7 s of system time against under 2 s). A fresh clone in CI deletes nothing
 * first, so no timed run may follow a deletion by less than this.
 */
const INODE_QUARANTINE_MS = 36_000;

/**
 * The rows (see run.mjs `scenarios`), on one server: 8a, kiln as CI leaves it (the fill, a CI build, uploaded its run
 * bundle: docs/remote-cache.md); 8c, the same with each tool at its default parallelism; and 8b, kiln without run
 * bundles (each entry asked for alone, as for a commit no run has bundled). `h` holds what the other build rows use
 * (`dir`, `buildCmd`, `rmState`, `rmOutputs`, `outputsPresent`, `measure`), the tools' state folders (`stateDirs`) and
 * `ctx`.
 */
export function remoteCacheRows(h) {
  const { ctx } = h;
  let server;
  const tools = () => ['kiln', 'turbo'].filter((t) => !ctx.opts.skip.includes(t));
  const fresh = (tool) => {
    h.rmOutputs(h.dir(tool));
    h.rmState(tool, h.dir(tool));
  };
  // What the timed runs leave goes here (renamed: no inode is freed), removed when the row ends.
  const trash = `${ctx.ws}.trash`;
  let trashed = 0;
  const toTrash = (path) => {
    if (!existsSync(path)) return;
    mkdirSync(trash, { recursive: true });
    renameSync(path, join(trash, String(trashed++)));
  };
  // rm(1): hundreds of thousands of files, where node's rmSync takes minutes.
  const removeTrash = () => existsSync(trash) && execFileSync('rm', ['-rf', trash]);
  /** A fresh clone without deleting anything: the tool's outputs and state moved aside. */
  const aside = (tool) => {
    for (const p of ctx.plan.projects) toTrash(join(h.dir(tool), p.dir, 'dist'));
    for (const d of h.stateDirs[tool]) toTrash(join(h.dir(tool), d));
  };
  const row = {
    id: '8a',
    scenario: 8,
    title: 'fresh clone, empty local cache, full remote cache (same turborepo-remote-cache server); kiln with the run bundle its CI fill uploaded',
    note: "kiln and turbo both read TURBO_API/TURBO_TOKEN/TURBO_TEAM; before each timed run the outputs and tool state are moved aside, not deleted, and no timed run starts within 36 s of a deletion (this disk's ext4 has no journal and scans past inodes freed in the last 30-35 s on every file it creates: README.md); kiln's fill ends with `kiln ci state save` (docs/ci.md's main job), so its fresh clone plans from the commit's shared graph state; nx has no equivalent (its remote cache is Nx Cloud or a paid plugin)",
    cmd: { kiln: h.buildCmd.kiln, turbo: h.buildCmd.turbo },
    ownCopy: true,
    env: () => ({ ...ctx.env, ...server?.env }),
    setup: async () => {
      if (server) return;
      removeTrash();
      const storage = `${ctx.ws}.remote-cache`;
      const kept = existsSync(storage);
      server = await startTurboCacheServer(h.kilnRepoRoot, ctx.work, storage);
      ctx.log(`  (remote cache server ${server.url} on ${kept ? 'the kept' : 'a new'} storage ${storage}; filling it: one build per tool, at once)`);
      // HEAD's bundle on a kept storage may be another kiln build's, whose plan this one does not use and which a CI build
      // keeps (docs/remote-cache.md): moved aside, so that the fill leaves this kiln's, as CI with this kiln would.
      const stale = kept && tools().includes('kiln') ? await headBundleKey() : undefined;
      if (stale !== undefined) toTrash(join(server.dir, TEAM, stale));
      // Each tool builds in its own copy; both at once, so the slower fill hides the other. On a kept storage only what is missing is built.
      tools().forEach(fresh);
      const freed = Date.now();
      await Promise.all(
        tools().map(async (tool) => {
          // kiln's fill uploads its run bundle, as a CI build does (there, because CI is set).
          const env = { ...ctx.env, ...server.env, ...(tool === 'kiln' && { KILN_REMOTE_CACHE_RUN_BUNDLES: '1' }) };
          const r = await h.measure([...ctx.bin[tool], ...h.buildCmd[tool]], { cwd: h.dir(tool), env });
          if (r.code !== 0) ctx.log(`  (filling the remote cache with ${tool}'s build failed with exit ${r.code})`);
          else ctx.log(`  (${tool}'s fill build: ${(r.ms / 1000).toFixed(1)} s)`);
          // What docs/ci.md's main job does after its build: the commit's graph state goes to the server too.
          if (tool === 'kiln' && r.code === 0) {
            const saved = await h.measure([...ctx.bin.kiln, 'ci', 'state', 'save'], { cwd: h.dir(tool), env: { ...ctx.env, ...server.env } });
            if (saved.code !== 0) ctx.log(`  (kiln ci state save failed with exit ${saved.code}: ${saved.stderr.slice(0, 300)})`);
          }
        }),
      );
      const since = Date.now() - freed;
      if (since < INODE_QUARANTINE_MS && !ctx.opts.smoke) {
        ctx.log(`  (waiting ${((INODE_QUARANTINE_MS - since) / 1000).toFixed(0)} s: the inodes freed before the fill are not yet reusable)`);
        await new Promise((r) => setTimeout(r, INODE_QUARANTINE_MS - since));
      }
    },
    prepare: aside,
    // The server stays up for 8b, which stops it.
    teardown: () => {},
    check: (tool, r) => h.outputsPresent(h.dir(tool)) ?? (tool === 'kiln' && !/\(\d+ from the remote cache\)/.test(r.stderr) ? 'nothing came from the remote cache' : undefined),
  };
  const entriesOnly = {
    ...row,
    id: '8b',
    title: 'the same, kiln without run bundles (each entry asked for alone: a commit no run has bundled)',
    note: 'as 8a, with KILN_REMOTE_CACHE_RUN_BUNDLES=0 for kiln',
    env: () => ({ ...row.env(), KILN_REMOTE_CACHE_RUN_BUNDLES: '0' }),
    teardown: async () => {
      try {
        if (server && tools().includes('kiln')) entriesOnly.note = `${entriesOnly.note}; floors (both rows): ${await floors()}`;
      } finally {
        removeTrash();
        server?.stop();
        if (!ctx.opts.keep && server) rmSync(server.dir, { recursive: true, force: true });
        server = undefined;
      }
    },
  };
  // 8a gives both tools two at a time, as the build rows do; a restore from kiln's run bundle does not use that limit, turbo's does.
  const defaults = {
    ...row,
    id: '8c',
    title: 'the same as 8a, each tool at its own default parallelism (the commands as a team types them)',
    note: 'kiln `run -t build`, turbo `run build` (concurrency 10): turbo fetches ten artifacts at a time where 8a lets it fetch two',
    cmd: { kiln: ['run', '-t', 'build'], turbo: ['run', 'build'] },
  };
  return [row, defaults, entriesOnly];

  /** The key of the run bundle kiln's fill left for its workspace's HEAD (as `kiln run -t build` at the root asks), if kiln's build is there to compute it. */
  async function headBundleKey() {
    try {
      const { runBundleKey } = await import(pathToFileURL(join(h.kilnRepoRoot, 'packages/core/dist/remote-cache/bundle.js')).href);
      const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: h.dir('kiln'), encoding: 'utf8' }).trim();
      const cmd = h.buildCmd.kiln;
      const key = runBundleKey({ commit, cwd: '', targets: [cmd[cmd.indexOf('-t') + 1]] });
      return existsSync(join(server.dir, TEAM, key)) ? key : undefined;
    } catch {
      return undefined;
    }
  }

  /** The floors, medians of 3: node's start, downloading kiln's artifacts and writing each to a file, restoring its run bundle with no planning, `cp -r` of the outputs kiln restored. */
  async function floors() {
    const artifacts = kilnArtifacts(server.dir);
    const team = artifacts[0]?.[0] ?? TEAM;
    const keys = artifacts.filter(([t]) => t === team).map(([, k]) => k);
    const dists = ctx.plan.projects.map((p) => join(p.dir, 'dist')).filter((d) => existsSync(join(h.dir('kiln'), d)));
    const times = { node: [], download: [], bundle: [], cp: [] };
    const bundle = await headBundleKey();
    for (let i = 0; i < 3; i++) {
      times.node.push((await h.measure([process.execPath, '-e', '0'], { cwd: ctx.work, env: ctx.env })).ms);
      const dest = mkdtempSync(join(ctx.work, 'floor-'));
      const d = await h.measure([process.execPath, '--input-type=module', '-e', DOWNLOAD_FLOOR, server.url, TOKEN, TEAM, dest, ...keys], { cwd: ctx.work, env: ctx.env });
      if (d.code !== 0) ctx.log(`  (the download floor failed: ${d.stderr.slice(0, 300)})`);
      times.download.push(d.ms);
      toTrash(dest);
      if (bundle !== undefined) {
        const into = mkdtempSync(join(ctx.work, 'floor-bundle-'));
        const b = await h.measure([process.execPath, '--input-type=module', '-e', BUNDLE_FLOOR, server.url, TOKEN, TEAM, into, bundle], { cwd: ctx.work, env: ctx.env });
        if (b.code !== 0) ctx.log(`  (the bundle floor failed: ${b.stderr.slice(0, 300)})`);
        times.bundle.push(b.ms);
        toTrash(into);
      }
      const copy = mkdtempSync(join(ctx.work, 'floor-cp-'));
      // One cp for all: `--parents` keeps each project's folder, so the same files are created.
      times.cp.push((await h.measure(['cp', '-r', '--parents', ...dists, copy], { cwd: h.dir('kiln'), env: ctx.env })).ms);
      toTrash(copy);
    }
    const s = (xs) => `${(median(xs) / 1000).toFixed(2)} s`;
    const viaBundle = times.bundle.length > 0 ? `, restoring its run bundle with no planning (fetch; on two threads verify, store and write every entry) ${s(times.bundle)}` : '';
    const text = `\`node -e 0\` ${s(times.node)}, downloading kiln's ${keys.length} artifacts and writing each to a file ${s(times.download)}${viaBundle}, \`cp -r\` of the ${dists.length} restored dist folders ${s(times.cp)}`;
    ctx.log(`  (floors: ${text})`);
    return text;
  }
}
