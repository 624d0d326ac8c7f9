/**
 * A fresh clone restoring from a real turborepo-remote-cache server takes each download in and
 * writes it on a restore worker thread: the outputs are byte-identical, and the main thread's stat
 * index learns every file written (a later run rewrites none). A worker that dies in the middle of
 * an entry costs one warning: the main thread restores what is left, the result is the same. A
 * write that fails on the worker costs that task's restore: it is rebuilt, with one warning.
 * A fresh clone starts its worker while it plans (and one per core when its run bundle holds the
 * bodies); a later run that restores only from the local cache starts none. Faults are injected into the kiln process (fixtures/worker-dies.mjs,
 * fixtures/fs-faults.mjs); worker starts are seen through fixtures/worker-starts.mjs.
 *
 * Restoring ahead (packages/core/src/cache/ahead.ts): a fresh clone whose commit has a run bundle
 * stages the bundle's outputs in its cache's tmp/ while it plans, then renames each entry the plan
 * chose into place. The outputs are byte-identical and the staging folder is gone after the run;
 * an entry the plan does not use leaves nothing behind; a folder already in the workspace keeps
 * its own files; a file in the way is replaced by the entry's, as an ordinary restore would; an
 * entry kept unpacked (c's) is restored from the store; a new commit without a bundle takes its
 * parent's; `--skip-cache` restores nothing ahead. (Those runs have an untracked file: a clone
 * that is its commit exactly restores through the bundle's plan instead, without planning.)
 *
 * Through the plan (packages/core/src/api/run-from-bundle.ts): a clean clone restores every task
 * byte for byte without hashing one, and its next run takes the fast path; an env value that
 * differs from the plan's, or an entry that does not restore, hands the run to the normal path.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTurboServer, type CacheServer } from './helpers/cache-servers.js';
import { createRepo, git, repoRoot, runKiln, tempDir, type TempRepo } from './helpers/repo.js';

const TOKEN = 'tok-Workers-1';
type Json = { tasks: { id: string; status: string; cache: string }[] };
const byId = (j: Json) => Object.fromEntries(j.tasks.map((t) => [t.id, `${t.status}/${t.cache}`]));
const fixture = (name: string) => pathToFileURL(join(repoRoot, 'test/fixtures', name)).href;
const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('warning'));

/**
 * Each project writes several files (the worker's share of an entry), `big` one past 1 MiB (an entry kept unpacked) and
 * past `AT_HAND_WORKERS_MIN_BYTES` (a run bundle holding it is worth a worker per core).
 */
function project(name: string, big = false) {
  const files = [1, 2, 3, 4, 5].map((i) => `echo ${name}${i} > dist/f${i}.txt`).join(' && ');
  const extra = big ? ' && head -c 6600000 /dev/zero | tr "\\\\0" x > dist/big.txt' : '';
  return { name, version: '1.0.0', scripts: { build: `mkdir -p dist/sub && ${files} && echo deep > dist/sub/d.txt${extra} && echo built ${name}` } };
}

/** Every output file with its inode: byte-identical is the content, rewritten is a new inode. */
function outputs(dir: string): Record<string, { text: string; ino: number }> {
  const out: Record<string, { text: string; ino: number }> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = { text: readFileSync(p, 'latin1'), ino: statSync(p).ino };
    }
  };
  for (const p of ['a', 'b', 'c', 'd']) walk(join(dir, 'packages', p, 'dist'));
  return out;
}
const texts = (o: ReturnType<typeof outputs>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.text]));
const aheadLine = (stderr: string) => stderr.split('\n').find((l) => l.includes('restored ahead'));
/** What is left in the cache's tmp/ (a staging folder is named `ahead.<pid>.<n>`). */
const leftovers = (dir: string) => (existsSync(join(dir, '.kiln/cache/tmp')) ? readdirSync(join(dir, '.kiln/cache/tmp')) : []);

describe('restore workers', () => {
  let server: CacheServer;
  let repo: TempRepo;
  let env: NodeJS.ProcessEnv;
  const clone = (): string => {
    const dir = tempDir('kiln-clone-');
    git(dir, ['clone', '-q', repo.dir, '.']);
    return dir;
  };
  const build = (cwd: string, extra: NodeJS.ProcessEnv = {}) => runKiln(['run', '-t', 'build', '--json'], { cwd, env: { ...env, ...extra } });
  const traced = { KILN_TRACE: '1' };
  /** A file git does not ignore, untracked: the work tree is no longer HEAD exactly, so the run plans (no run bundle's plan). */
  const untracked = (dir: string): void => writeFileSync(join(dir, 'notes.txt'), 'not committed\n');
  const noPlan = (stderr: string, why: string) => expect(stderr).toContain(`kiln trace: run bundle's plan not used: ${why}`);
  /** A later run from the local cache alone finds every output as the restore left it (the stat index has each): all local hits, no file rewritten (same inodes). */
  const expectNothingRewritten = (dir: string): void => {
    const before = outputs(dir);
    const again = build(dir, { KILN_REMOTE_CACHE: 'off' });
    expect(again.code, again.stderr).toBe(0);
    expect(Object.values(byId(again.json())).every((s) => s === 'success/local')).toBe(true);
    expect(outputs(dir)).toEqual(before);
  };

  beforeAll(async () => {
    server = await startTurboServer({ token: TOKEN });
    repo = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'nx.json': { targetDefaults: { build: { cache: true, outputs: ['{projectRoot}/dist'], inputs: ['default', { env: 'BUILD_FLAVOR' }, { env: 'BUILD_OPT_*' }] } } },
      '.gitignore': 'dist\n.kiln\n',
      'packages/a/package.json': project('a'),
      'packages/b/package.json': project('b'),
      'packages/c/package.json': project('c', true),
      'packages/d/package.json': project('d'),
    });
    env = { TURBO_API: server.url, TURBO_TOKEN: TOKEN, TURBO_TEAM: 'team' };
    const first = build(repo.dir);
    expect(first.code, first.stderr).toBe(0);
    expect(Object.values(byId(first.json())).every((s) => s === 'success/miss')).toBe(true);
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('restore a fresh clone byte for byte, and tell the stat index every file they wrote', () => {
    const b = clone();
    const run = build(b);
    expect(run.code, run.stderr).toBe(0);
    expect(byId(run.json())).toEqual({ 'a:build': 'success/remote', 'b:build': 'success/remote', 'c:build': 'success/remote', 'd:build': 'success/remote' });
    expect(warnings(run.stderr)).toEqual([]);
    const restored = outputs(b);
    expect(texts(restored)).toEqual(texts(outputs(repo.dir)));
    expect(Object.keys(restored)).toHaveLength(4 * 6 + 1);
    expectNothingRewritten(b);
  });

  it('start their worker while a fresh clone plans, one per core for a run bundle, and only there', () => {
    const traced = { NODE_OPTIONS: `--import ${fixture('worker-starts.mjs')}`, KILN_TRACE: '1' };
    // Downloading entry by entry (no run bundle): one worker, started before the tasks were hashed (the pool took it): its start-up overlapped the plan.
    const alone = build(clone(), { ...traced, KILN_REMOTE_CACHE_RUN_BUNDLES: '0' });
    expect(alone.code, alone.stderr).toBe(0);
    expect(Object.values(byId(alone.json())).every((s) => s === 'success/remote')).toBe(true);
    const lines = alone.stderr.split('\n');
    expect(lines.filter((l) => l === '[worker started]')).toHaveLength(1);
    expect(lines.indexOf('[worker started]')).toBeLessThan(lines.findIndex((l) => l.startsWith('kiln trace: task hashes')));
    // From the run bundle clone A's CI run uploaded, planning (not HEAD exactly): the bodies are in memory, and enough of them, so a worker per core (at most four), the early one among them.
    const b = clone();
    untracked(b);
    const run = build(b, traced);
    expect(run.code, run.stderr).toBe(0);
    expect(Object.values(byId(run.json())).every((s) => s === 'success/remote')).toBe(true);
    const started = run.stderr.split('\n').filter((l) => l === '[worker started]');
    expect(started).toHaveLength(Math.max(1, Math.min(4, availableParallelism())));
    // Not a fresh clone any more (its graph state is saved): a worker starts only for a download, and none is needed here.
    for (const p of ['a', 'b', 'c', 'd']) rmSync(join(b, 'packages', p, 'dist'), { recursive: true });
    const again = build(b, traced);
    expect(again.code, again.stderr).toBe(0);
    expect(Object.values(byId(again.json())).every((s) => s === 'success/local')).toBe(true);
    expect(again.stderr).not.toContain('[worker started]');
  });

  it('a worker that dies in the middle of an entry: one warning, the main thread restores the rest, same result', () => {
    const b = clone();
    const run = build(b, { NODE_OPTIONS: `--import ${fixture('worker-dies.mjs')}`, WORKER_DIES_AT: '3' });
    expect(run.code, run.stderr).toBe(0);
    expect(byId(run.json())).toEqual({ 'a:build': 'success/remote', 'b:build': 'success/remote', 'c:build': 'success/remote', 'd:build': 'success/remote' });
    expect(warnings(run.stderr)).toEqual([expect.stringMatching(/^warning a restore worker stopped \(exit code 9\): entries are restored on the main thread/)]);
    expect(texts(outputs(b))).toEqual(texts(outputs(repo.dir)));
    const again = build(b, { KILN_REMOTE_CACHE: 'off' });
    expect(Object.values(byId(again.json())).every((s) => s === 'success/local')).toBe(true);
  });

  it('a write that fails on the worker: that task is rebuilt, with one warning, the others restored', () => {
    const b = clone();
    const run = build(b, { NODE_OPTIONS: `--import ${fixture('fs-faults.mjs')}`, FS_FAULT_DIR: join(b, 'packages/a/dist'), FS_FAULT_CODE: 'EIO', FS_FAULT_OPS: 'write' });
    expect(run.code, run.stderr).toBe(0);
    expect(byId(run.json())).toEqual({ 'a:build': 'success/miss', 'b:build': 'success/remote', 'c:build': 'success/remote', 'd:build': 'success/remote' });
    expect(warnings(run.stderr)).toEqual([
      expect.stringMatching(/^warning the cache entry [0-9a-f]{12} could not be restored \(EIO: injected fault, mkdir .*packages\/a\/dist.*\)\. Tasks run as usual\.$/),
    ]);
    expect(run.stderr).toContain('built a');
    expect(texts(outputs(b))).toEqual(texts(outputs(repo.dir)));
  });

  describe("restoring through the plan of the commit's run bundle", () => {
    it('a clean clone restores every task without planning, byte for byte, and its next run takes the fast path', () => {
      const b = clone();
      const run = build(b, traced);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain("kiln trace: 4 tasks restored through the run bundle's plan");
      expect(run.stderr).not.toContain('kiln trace: task hashes');
      expect(byId(run.json())).toEqual({ 'a:build': 'success/remote', 'b:build': 'success/remote', 'c:build': 'success/remote', 'd:build': 'success/remote' });
      expect(warnings(run.stderr)).toEqual([]);
      expect(texts(outputs(b))).toEqual(texts(outputs(repo.dir)));
      expect(leftovers(b)).toEqual([]);
      const before = outputs(b);
      const again = build(b, { ...traced, KILN_REMOTE_CACHE: 'off' });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('kiln trace: fast path taken');
      expect(Object.values(byId(again.json())).every((s) => s === 'success/local')).toBe(true);
      expect(outputs(b)).toEqual(before);
    });

    it('each task’s last run is recorded, so why-miss explains the next miss against the restored run', () => {
      const b = clone();
      const run = build(b, traced);
      expect(run.stderr).toContain("kiln trace: 4 tasks restored through the run bundle's plan");
      const restored = (run.json() as { tasks: { id: string; hash: string }[] }).tasks.find((t) => t.id === 'a:build')!.hash;
      writeFileSync(join(b, 'packages/a/notes.txt'), 'a change\n');
      const why = runKiln(['why-miss', 'a:build', '--json'], { cwd: b, env });
      expect(why.code, why.stderr).toBe(0);
      const answer = why.json() as { previous: string | null; changed: unknown[] };
      expect(answer.previous).toBe(restored);
      expect(answer.changed).toEqual([{ kind: 'file', path: 'packages/a/notes.txt', change: 'added' }]);
    });

    it('an env value the tasks read that differs from the plan’s: the run plans, and its hashes miss', () => {
      const b = clone();
      const run = build(b, { ...traced, BUILD_FLAVOR: 'other' });
      expect(run.code, run.stderr).toBe(0);
      noPlan(run.stderr, 'env BUILD_FLAVOR differs');
      // --verbose says so in words.
      const verbose = runKiln(['run', '-t', 'build', '--json', '--verbose'], { cwd: clone(), env: { ...env, BUILD_FLAVOR: 'other' } });
      expect(verbose.stderr).toContain("kiln: the run bundle's plan was not used: env BUILD_FLAVOR differs");
      expect(Object.values(byId(run.json())).every((s) => s === 'success/miss')).toBe(true);
      // A variable the wildcard input now matches, which it did not when the plan was made.
      const matched = build(clone(), { ...traced, BUILD_OPT_NEW: 'on' });
      expect(matched.code, matched.stderr).toBe(0);
      noPlan(matched.stderr, 'env BUILD_OPT_* matches other variables');
    });

    it("an entry that does not restore (a file where its output folder goes): the normal path takes over, and runs that task", () => {
      const b = clone();
      // Ignored (dist/), so the work tree is still HEAD exactly.
      writeFileSync(join(b, 'packages/b/dist'), 'a file, not a folder\n');
      const run = build(b, traced);
      noPlan(run.stderr, 'the entry of b:build did not restore (blocked)');
      expect(run.stderr).toContain('a file stands in the way of the output folder "packages/b/dist"');
      // Its build cannot make dist/ either: it fails; the others are restored.
      expect(run.code).toBe(1);
      const results = byId(run.json());
      expect(results['b:build']).toBe('failure/miss');
      for (const id of ['a:build', 'c:build', 'd:build']) expect(results[id]).toMatch(/^success\/(local|remote)$/);
      const others = Object.entries(texts(outputs(repo.dir))).filter(([path]) => !path.startsWith('packages/b/'));
      expect(others.length).toBeGreaterThan(0);
      for (const [path, text] of others) expect(readFileSync(join(b, path), 'latin1')).toBe(text);
    });
  });

  describe('restoring a run bundle ahead of the plan', () => {
    it('puts every packed entry in place byte for byte, leaves no staging folder, and a later run rewrites nothing', () => {
      const b = clone();
      untracked(b);
      const run = build(b, traced);
      expect(run.code, run.stderr).toBe(0);
      expect(byId(run.json())).toEqual({ 'a:build': 'success/remote', 'b:build': 'success/remote', 'c:build': 'success/remote', 'd:build': 'success/remote' });
      expect(warnings(run.stderr)).toEqual([]);
      // c's entry is kept unpacked (a file past 1 MiB): restored from the store it was taken into, not staged.
      expect(aheadLine(run.stderr)).toContain('4 entries of the run bundle restored ahead, 3 of them put in place');
      const restored = outputs(b);
      expect(texts(restored)).toEqual(texts(outputs(repo.dir)));
      expect(leftovers(b)).toEqual([]);
      // The stat index has each file as it lies after the move.
      expectNothingRewritten(b);
    });

    it('an entry the plan does not use: its staged outputs are removed, the task runs', () => {
      const b = clone();
      // An input of a only in this work tree: a's hash is not the bundle's.
      writeFileSync(join(b, 'packages/a/extra.txt'), 'changed here\n');
      const run = build(b, traced);
      expect(run.code, run.stderr).toBe(0);
      noPlan(run.stderr, 'the work tree is not HEAD exactly');
      expect(byId(run.json())).toMatchObject({ 'a:build': 'success/miss', 'b:build': 'success/remote' });
      expect(run.stderr).toContain('built a');
      expect(aheadLine(run.stderr)).toContain('4 entries of the run bundle restored ahead, 2 of them put in place');
      expect(leftovers(b)).toEqual([]);
      expect(texts(outputs(b))).toEqual(texts(outputs(repo.dir)));
    });

    it('into a folder the workspace already has: its own files stay, the entry comes in beside them', () => {
      const b = clone();
      untracked(b);
      mkdirSync(join(b, 'packages/d/dist'));
      writeFileSync(join(b, 'packages/d/dist/notes.md'), 'mine\n');
      const run = build(b, traced);
      expect(run.code, run.stderr).toBe(0);
      expect(byId(run.json())['d:build']).toBe('success/remote');
      expect(aheadLine(run.stderr)).toContain('3 of them put in place');
      expect(readFileSync(join(b, 'packages/d/dist/notes.md'), 'utf8')).toBe('mine\n');
      const { 'packages/d/dist/notes.md': mine, ...rest } = texts(outputs(b));
      expect(mine).toBe('mine\n');
      expect(rest).toEqual(texts(outputs(repo.dir)));
      expect(leftovers(b)).toEqual([]);
      // Files moved one by one have a new ctime, taken again for the stat index.
      expectNothingRewritten(b);
    });

    it("a new commit without a bundle of its own takes its parent's, and leaves one of its own", () => {
      const b = clone();
      writeFileSync(join(b, 'packages/a/extra.txt'), 'a new commit\n');
      git(b, ['add', '-A']);
      git(b, ['commit', '-q', '-m', 'change a']);
      const run = build(b, traced);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/kiln trace: run bundle [0-9a-f]{12} \(of HEAD's parent\): 4 entries/);
      expect(byId(run.json())).toEqual({ 'a:build': 'success/miss', 'b:build': 'success/remote', 'c:build': 'success/remote', 'd:build': 'success/remote' });
      expect(aheadLine(run.stderr)).toContain('4 entries of the run bundle restored ahead, 2 of them put in place');
      expect(leftovers(b)).toEqual([]);
      // Its run left the new commit a bundle of its own, which a clone of that commit takes.
      const c = tempDir('kiln-clone-');
      git(c, ['clone', '-q', b, '.']);
      const next = build(c, traced);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toMatch(/kiln trace: run bundle [0-9a-f]{12}: 4 entries, with its plan/);
      expect(next.stderr).toContain("kiln trace: 4 tasks restored through the run bundle's plan");
      expect(Object.values(byId(next.json())).every((s) => s === 'success/remote')).toBe(true);
    });

    it('a run that ignores cached results restores nothing ahead, leaves nothing in tmp/, and exits', () => {
      // (It hung after its last task: the restore workers started for the bundle's bodies got no job, and a listener kept one alive.)
      const b = clone();
      const run = runKiln(['run', '-t', 'build', '--json', '--skip-cache'], { cwd: b, env: { ...env, ...traced } });
      expect(run.code, run.stderr).toBe(0);
      expect(Object.values(byId(run.json())).every((s) => s === 'success/miss')).toBe(true);
      expect(aheadLine(run.stderr)).toBeUndefined();
      expect(leftovers(b)).toEqual([]);
    });

    it('a file in the way: replaced by the entry, as an ordinary restore does', () => {
      const b = clone();
      untracked(b);
      mkdirSync(join(b, 'packages/b/dist'));
      writeFileSync(join(b, 'packages/b/dist/f1.txt'), 'stale\n');
      const run = build(b, traced);
      expect(run.code, run.stderr).toBe(0);
      expect(byId(run.json())['b:build']).toBe('success/remote');
      expect(warnings(run.stderr)).toEqual([]);
      expect(aheadLine(run.stderr)).toContain('2 of them put in place');
      expect(texts(outputs(b))).toEqual(texts(outputs(repo.dir)));
      expect(leftovers(b)).toEqual([]);
    });
  });
});
