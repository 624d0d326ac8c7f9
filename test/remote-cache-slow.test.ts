/**
 * The remote cache against real servers on 127.0.0.1: turborepo-remote-cache (npm, local storage)
 * for Turborepo's API v8, nginx with WebDAV PUT for Bazel's HTTP cache. For each: clone A builds
 * and uploads; a fresh clone B restores every task from the server, byte for byte, logs
 * replayed; an object edited on the server's disk is refused and rebuilt; read-only mode writes
 * nothing; a server killed in the middle of a run costs a warning, never the result. Turbo's
 * signatures: a wrong key is refused.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNginx, startTurboServer, type CacheServer } from './helpers/cache-servers.js';
import { createRepo, git, tempDir, runKiln, type FileTree, type TempRepo } from './helpers/repo.js';
import { sampleWorkspace } from './helpers/sample-workspace.js';
import { findAptTools } from './helpers/tools.js';

const { nginx } = findAptTools();
const TOKEN = 'tok-Secret-4711';
const KEY = 'signing-key-1';

type Json = { tasks: { id: string; hash: string; status: string; cache: string; durationMs: number }[] };
const byId = (j: Json) => Object.fromEntries(j.tasks.map((t) => [t.id, `${t.status}/${t.cache}`]));

/** A build with a binary output past the inline sizes and a log longer than meta.json keeps inline. */
const bigBuild = [
  "const { createHash } = require('node:crypto'); const { mkdirSync, writeFileSync } = require('node:fs');",
  "mkdirSync('dist', { recursive: true }); const parts = []; let h = Buffer.from('seed');",
  "for (let i = 0; i < 10000; i++) { h = createHash('sha256').update(h).digest(); parts.push(h); }",
  "writeFileSync('dist/blob.bin', Buffer.concat(parts)); writeFileSync('dist/run.sh', '#!/bin/sh\\necho hi\\n', { mode: 0o755 });",
  "for (let i = 0; i < 2000; i++) console.log('log line ' + i + ' of the big build, long enough to pass the inline limit');",
].join('\n');

function workspace(): FileTree {
  return { ...sampleWorkspace(), 'packages/e/package.json': { name: 'e', version: '1.0.0', scripts: { build: 'node build.cjs' } }, 'packages/e/build.cjs': bigBuild };
}

/** Every file under the outputs of the sample workspace, with its content and mode. */
function outputs(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, name.name);
      if (name.isDirectory()) walk(p);
      else out[relative(dir, p)] = `${(statSync(p).mode & 0o777).toString(8)} ${readFileSync(p).toString('base64')}`;
    }
  };
  for (const p of ['a', 'b', 'c', 'e']) walk(join(dir, 'packages', p, 'dist'));
  walk(join(dir, 'packages/d/gen'));
  return out;
}

/** A fresh clone of `repo` in another folder: no .kiln, no outputs. */
function freshClone(repo: TempRepo): string {
  const dir = tempDir('kiln-clone-');
  git(dir, ['clone', '-q', repo.dir, '.']);
  return dir;
}

/** Each file the server keeps, with its size and modification time. */
function storage(server: CacheServer): string[] {
  const dir = server.storage;
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => [f, statSync(join(dir, f))] as const)
    .filter(([, st]) => st.isFile())
    .map(([f, st]) => `${f} ${st.size} ${st.mtimeMs}`)
    .sort();
}

/** The files on the server's disk that hold a run bundle (docs/remote-cache.md): each starts as one. */
function bundleFiles(server: CacheServer): string[] {
  return readdirSync(server.storage, { recursive: true, encoding: 'utf8' })
    .map((f) => join(server.storage, f))
    .filter((f) => statSync(f).isFile() && readFileSync(f).subarray(0, 8).toString('latin1') === 'KILNRB01');
}


interface Protocol {
  readonly name: 'turbo' | 'bazel';
  readonly skip: boolean;
  start(): Promise<CacheServer>;
  /** The environment (or nx.json setting) pointing kiln at `server`. */
  configure(repo: TempRepo, server: CacheServer): NodeJS.ProcessEnv;
  /** The file on the server's disk that holds the entry of `hash`. */
  objectOf(server: CacheServer, hash: string): string;
  /** The file on the server's disk that names the entry of `hash` (without it, the server has none). */
  keyFile(server: CacheServer, hash: string): string;
  /** Requests that write, from the server's log. */
  writes(server: CacheServer): string[];
}

const protocols: Protocol[] = [
  {
    name: 'turbo',
    skip: false,
    start: () => startTurboServer({ token: TOKEN, signatureKey: 'server-keeps-tags' }),
    // Turborepo's own variables: a team moves over with its existing secrets.
    configure: (_repo, s) => ({ TURBO_API: s.url, TURBO_TOKEN: TOKEN, TURBO_TEAM: 'kiln-team', TURBO_REMOTE_CACHE_SIGNATURE_KEY: KEY }),
    objectOf: (s, hash) => join(s.storage, 'kiln-team', hash),
    keyFile: (s, hash) => join(s.storage, 'kiln-team', hash),
    writes: (s) =>
      s
        .requests()
        .split('\n')
        .filter((l) => /"method":"(PUT|POST|DELETE)"/.test(l)),
  },
  {
    name: 'bazel',
    skip: nginx === undefined,
    start: () => startNginx(nginx!),
    // nx.json's setting, no environment at all.
    configure: (repo, s) => {
      const nx = JSON.parse(readFileSync(join(repo.dir, 'nx.json'), 'utf8'));
      repo.commit('remote cache', { 'nx.json': { ...nx, kiln: { remoteCache: { url: s.url, protocol: 'bazel', timeout: 5000 } } } });
      return {};
    },
    objectOf: (s, hash) => {
      const ac = readFileSync(join(s.storage, 'ac', hash));
      const digest = /[0-9a-f]{64}/.exec(ac.toString('latin1'))![0];
      return join(s.storage, 'cas', digest);
    },
    keyFile: (s, hash) => join(s.storage, 'ac', hash),
    writes: (s) =>
      s
        .requests()
        .split('\n')
        .filter((l) => /"(PUT|POST|DELETE|MKCOL|MOVE|COPY) /.test(l)),
  },
];

describe.each(protocols)('the remote cache over $name', (protocol) => {
  let server: CacheServer;
  let a: TempRepo;
  let env: NodeJS.ProcessEnv;
  let first: Json;
  const kiln = (cwd: string, args: string[], extra: NodeJS.ProcessEnv = {}) => runKiln(args, { cwd, env: { ...env, ...extra } });

  beforeAll(async () => {
    if (protocol.skip) return;
    server = await protocol.start();
    a = createRepo(workspace());
    env = protocol.configure(a, server);
  });
  afterAll(async () => {
    await server?.stop();
    a?.cleanup();
  });

  it.skipIf(protocol.skip)('clone A builds and uploads; a fresh clone B restores every task from the server, byte-identical, logs replayed', () => {
    const run = kiln(a.dir, ['run', '-t', 'build', '--json']);
    expect(run.code, run.stderr).toBe(0);
    first = run.json<Json>();
    expect(Object.values(byId(first)).every((s) => s === 'success/miss')).toBe(true);
    expect(first.tasks).toHaveLength(6);
    expect(run.stderr).not.toContain('warning');

    const b = freshClone(a);
    const restored = kiln(b, ['run', '-t', 'build']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toContain('6 restored from cache (6 from the remote cache)');
    expect(restored.stderr).not.toContain('warning');
    expect(outputs(b)).toEqual(outputs(a.dir));
    expect(Object.keys(outputs(b))).toContain('packages/e/dist/run.sh');
    // Logs replayed as they were printed, the long one too.
    for (const line of ['built a via build', 'built b via build', 'log line 1999 of the big build']) expect(restored.stdout).toContain(line);
    // Kept packed (one file for an entry's outputs), and restored from that alone by a later run.
    const entries = join(b, '.kiln/cache/entries');
    for (const h of readdirSync(entries)) expect(readdirSync(join(entries, h)).filter((n) => n !== 'log').sort()).toEqual(['meta.json', 'pack']);
    for (const p of ['a', 'b', 'c', 'e']) rmSync(join(b, 'packages', p, 'dist'), { recursive: true });
    rmSync(join(b, 'packages/d/gen'), { recursive: true });
    const local = kiln(b, ['run', '-t', 'build'], { KILN_REMOTE_CACHE: 'off' });
    expect(local.code, local.stderr).toBe(0);
    expect(local.stderr).toContain('6 restored from cache');
    expect(local.stderr).not.toMatch(/remote|warning/);
    expect(outputs(b)).toEqual(outputs(a.dir));
    const json = kiln(freshClone(a), ['run', '-t', 'build', '--json']).json<Json>();
    expect(json.tasks.map((t) => t.cache)).toEqual(first.tasks.map(() => 'remote'));
    expect(json.tasks.map((t) => t.hash)).toEqual(first.tasks.map((t) => t.hash));
  });

  it.skipIf(protocol.skip)("a fresh clone's ci plan weighs each task by the duration the server's entry holds", () => {
    const b = freshClone(a);
    const plan = kiln(b, ['ci', 'plan', '-t', 'build', '--shards', '1', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    const shard = plan.json<{ include: { estimatedMs: number; tasks: string[] }[] }>().include[0]!;
    expect(shard.tasks.length).toBeGreaterThan(2);
    expect(plan.stderr).toContain(`${shard.tasks.length} of ${shard.tasks.length} tasks are weighed by durations from the remote cache`);
    expect(plan.stderr).not.toContain('no recorded duration');
    // One shard: its estimate is the sum of what each of its tasks took in clone A (a duration under 1 ms counts as 1 ms).
    const took = first.tasks.filter((t) => shard.tasks.includes(t.id)).reduce((sum, t) => sum + Math.max(1, t.durationMs), 0);
    expect(shard.estimatedMs).toBe(took);
    // Nothing was restored or kept: the plan only read the entries' heads.
    expect(existsSync(join(b, '.kiln/cache/entries'))).toBe(false);
  });

  it.skipIf(protocol.skip)("a fresh clone of the same commit restores every task from the run bundle clone A's CI run uploaded, without any task's own object", () => {
    expect(bundleFiles(server)).toHaveLength(1);
    const kept = storage(server);
    // Each task's own object moved aside: what is restored can only come from the bundle.
    const own = first.tasks.map((t) => protocol.keyFile(server, t.hash));
    for (const f of own) renameSync(f, `${f}.aside`);
    try {
      const b = freshClone(a);
      const run = kiln(b, ['run', '-t', 'build', '--json'], { KILN_TRACE: '1' });
      expect(run.code, run.stderr).toBe(0);
      expect(run.json<Json>().tasks.map((t) => `${t.id} ${t.cache}`)).toEqual(first.tasks.map((t) => `${t.id} remote`));
      expect(run.stderr).toMatch(/kiln trace: run bundle [0-9a-f]{12}: 6 entries/);
      expect(run.stderr).not.toContain('warning');
      expect(outputs(b)).toEqual(outputs(a.dir));
    } finally {
      for (const f of own) renameSync(`${f}.aside`, f);
    }
    // It held every entry the run used: nothing is uploaded again.
    expect(storage(server)).toEqual(kept);
  });

  it.skipIf(protocol.skip)('a run bundle edited on the server\'s disk is refused whole, with one warning: every task is fetched alone', () => {
    const [file] = bundleFiles(server);
    const original = readFileSync(file!);
    const bytes = Buffer.from(original);
    bytes[bytes.length - 40]! ^= 1;
    writeFileSync(file!, bytes);
    try {
      const b = freshClone(a);
      const run = kiln(b, ['run', '-t', 'build', '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(Object.values(byId(run.json())).every((x) => x === 'success/remote')).toBe(true);
      const warnings = run.stderr.split('\n').filter((l) => l.includes('warning'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`remote cache ${server.url}: the run bundle`);
      expect(warnings[0]).toContain('Each task\'s entry is fetched alone.');
      expect(outputs(b)).toEqual(outputs(a.dir));
      expect(run.stderr).not.toContain(TOKEN);
    } finally {
      writeFileSync(file!, original);
    }
  });

  it.skipIf(protocol.skip)("an object edited on the server's disk is refused and its task rebuilt", () => {
    const hash = first.tasks.find((t) => t.id === 'a:build')!.hash;
    const object = protocol.objectOf(server, hash);
    const bytes = readFileSync(object);
    bytes[bytes.length - 2]! ^= 1; // the last byte of the output ("A\n" → "@\n"), the manifest left as it was
    writeFileSync(object, bytes);

    const c = freshClone(a);
    // Each entry's own object: with run bundles, a:build would come from the commit's bundle (tested below).
    const run = kiln(c, ['run', '-t', 'build', '--json'], { KILN_REMOTE_CACHE_RUN_BUNDLES: '0' });
    expect(run.code, run.stderr).toBe(0);
    expect(byId(run.json())).toMatchObject({ 'a:build': 'success/miss', 'b:build': 'success/remote', 'e:build': 'success/remote' });
    const warnings = run.stderr.split('\n').filter((l) => l.includes('warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`remote cache ${server.url}: the entry of a:build`);
    expect(warnings[0]).toContain('output "packages/a/dist/out.txt" does not match its digest');
    expect(readFileSync(join(c, 'packages/a/dist/out.txt'), 'utf8')).toBe('A\n');
    expect(run.stderr).not.toContain(TOKEN);
  });

  it.skipIf(protocol.skip || protocol.name !== 'turbo')('a wrong signature key is refused: every task runs', () => {
    const d = freshClone(a);
    const run = kiln(d, ['run', '-t', 'build', '--json'], { TURBO_REMOTE_CACHE_SIGNATURE_KEY: 'another-key', KILN_REMOTE_CACHE_READ_ONLY: '1' });
    expect(run.code, run.stderr).toBe(0);
    expect(Object.values(byId(run.json())).every((s) => s === 'success/miss')).toBe(true);
    expect(run.stderr).toMatch(/the entry of b:build .* was refused: its signature \(x-artifact-tag\) does not match/);
    expect(run.stderr).not.toContain('another-key');
  });

  it.skipIf(protocol.skip)('in read-only mode the server receives no write', async () => {
    const e = freshClone(a);
    writeFileSync(join(e, 'packages/c/src/c.txt'), 'changed\n');
    const before = protocol.writes(server).length;
    const stored = storage(server);
    const run = kiln(e, ['run', '-t', 'build', '--json'], { KILN_REMOTE_CACHE_READ_ONLY: 'true' });
    expect(run.code, run.stderr).toBe(0);
    expect(byId(run.json())).toMatchObject({ 'c:build': 'success/miss', 'a:build': 'success/remote' });
    // The server stores before it answers; its request log (turbo's goes through a worker thread) may lag a little.
    expect(storage(server)).toEqual(stored);
    await new Promise((r) => setTimeout(r, 500));
    expect(protocol.writes(server).length).toBe(before);
    // The same run without read-only writes (so the checks above can fail).
    expect(kiln(e, ['run', '-t', 'build', '--json', '--skip-cache']).code).toBe(0);
    expect(storage(server)).not.toEqual(stored);
  });

  it.skipIf(protocol.skip)('a server killed in the middle of a run gives exit 0 and a warning', async () => {
    const doomed = await protocol.start();
    const repo = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'nx.json': { targetDefaults: { build: { dependsOn: ['^build'], cache: true, outputs: ['{projectRoot}/dist'] } } },
      '.gitignore': 'dist\n.kiln\n',
      // k stops the server (its pid comes in the environment); m, after it, still builds.
      'packages/k/package.json': {
        name: 'k',
        version: '1.0.0',
        scripts: { build: 'node -e "process.kill(Number(process.env.SERVER_PID))" && mkdir -p dist && echo k > dist/k.txt' },
      },
      'packages/m/package.json': { name: 'm', version: '1.0.0', dependencies: { k: '*' }, scripts: { build: 'mkdir -p dist && echo m > dist/m.txt' } },
    });
    try {
      const doomedEnv = protocol.configure(repo, doomed);
      const run = runKiln(['run', '-t', 'build', '--json'], { cwd: repo.dir, env: { ...doomedEnv, SERVER_PID: String(doomed.pid) } });
      expect(run.code, run.stderr).toBe(0);
      expect(byId(run.json())).toEqual({ 'k:build': 'success/miss', 'm:build': 'success/miss' });
      const warnings = run.stderr.split('\n').filter((l) => l.includes('warning'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`remote cache ${doomed.url}:`);
      expect(warnings[0]).toContain('not used for the rest of this run');
      expect(run.stderr).not.toContain(TOKEN);
    } finally {
      await doomed.stop();
      repo.cleanup();
    }
  });
});
