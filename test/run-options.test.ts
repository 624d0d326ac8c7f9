/**
 * `kiln run`'s options around a run: --dry-run (and turbo's --dry=json), --summarize (the run
 * summary file), --verbose, arguments after `--` forwarded to the task, --output-style names, and
 * `interrupted` in --json.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from './helpers/repo.js';
import { sampleWorkspace } from './helpers/sample-workspace.js';

type Json = any;

function entries(repo: TempRepo): string[] {
  const dir = join(repo.dir, '.kiln/cache/entries');
  return existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort() : [];
}

describe('kiln run --dry-run', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo(sampleWorkspace());
  });
  afterAll(() => repo.cleanup());

  it('lists the tasks in order with hashes and what would happen, runs nothing and writes no output or cache entry', () => {
    const cold = repo.kiln(['run', '-t', 'build', '--dry-run', '--json']);
    expect(cold.code, cold.stderr).toBe(0);
    const plan = cold.json<Json>();
    expect(plan.dryRun).toBe(true);
    const ids: string[] = plan.tasks.map((t: Json) => t.id);
    expect(ids.indexOf('a:build')).toBeLessThan(ids.indexOf('b:build'));
    expect(ids.indexOf('d:gen')).toBeLessThan(ids.indexOf('d:build'));
    expect(plan.tasks.every((t: Json) => t.action === 'run' && t.reason === 'never-ran' && /^[0-9a-f]{64}$/.test(t.hash))).toBe(true);
    expect(existsSync(join(repo.dir, 'packages/a/dist'))).toBe(false);
    expect(entries(repo)).toEqual([]);
    expect(cold.stderr).not.toContain('built a');

    // The hashes are the run's.
    const run = repo.kiln(['run', '-t', 'build', '--json']);
    const hashes = Object.fromEntries(run.json<Json>().tasks.map((t: Json) => [t.id, t.hash]));
    expect(Object.fromEntries(plan.tasks.map((t: Json) => [t.id, t.hash]))).toEqual(hashes);
    const stored = entries(repo);
    const mtime = statSync(join(repo.dir, 'packages/b/dist/out.txt')).mtimeMs;

    // A change: the changed task and what depends on it would run, the rest would be restored.
    repo.write({ 'packages/a/src/a.txt': 'A2\n' });
    const after = repo.kiln(['run', '-t', 'build', '--dry-run']);
    expect(after.code, after.stderr).toBe(0);
    const lines = after.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Dry run: 5 tasks in order, 3 would be restored from the cache, 2 would run. Nothing runs.');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}a:build +[0-9a-f]{12} {2}run +1 change since its last cached run: file changed: packages\/a\/src\/a\.txt$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}b:build +[0-9a-f]{12} {2}run +\d changes since its last cached run: dependency changed: a:build/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}c:build +[0-9a-f]{12} {2}restore$/));
    // Still nothing ran or was written.
    expect(readFileSync(join(repo.dir, 'packages/a/dist/out.txt'), 'utf8')).toBe('A\n');
    expect(statSync(join(repo.dir, 'packages/b/dist/out.txt')).mtimeMs).toBe(mtime);
    expect(entries(repo)).toEqual(stored);

    // turbo's --dry=json is the same document; --dry the same lines.
    const turbo = repo.kiln(['run', '-t', 'build', '--dry=json']);
    expect(turbo.json<Json>().tasks.map((t: Json) => [t.id, t.action])).toEqual([
      ['a:build', 'run'],
      ['b:build', 'run'],
      ['c:build', 'restore'],
      ['d:gen', 'restore'],
      ['d:build', 'restore'],
    ]);
    expect(repo.kiln(['run', '-t', 'build', '--dry']).stdout).toBe(after.stdout);
    // --skip-cache: everything would run.
    const skip = repo.kiln(['run', '-t', 'build', '--dry-run', '--skip-cache', '--json']).json<Json>();
    expect(skip.tasks.every((t: Json) => t.action === 'run' && t.reason === 'skip-cache')).toBe(true);
    // Nothing affected: an empty plan, not an error.
    repo.git('add', '-A');
    repo.git('commit', '-qm', 'a2');
    const none = repo.kiln(['run', '-t', 'build', '--affected', '--base', 'HEAD', '--dry-run']);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain('Dry run: 0 tasks in order');
  });
});

describe('kiln run --summarize', () => {
  it('writes a version 1 JSON summary under .kiln/runs: tasks, hashes, cache status, durations, inputs, exit codes', () => {
    const repo = createRepo(sampleWorkspace());
    try {
      repo.kiln(['run', '-t', 'build', '-p', 'a']);
      const r = repo.kiln(['run', '-t', 'build', '-t', 'test', '-p', 'a,b', '--summarize', '--json']);
      expect(r.code).toBe(1);
      const file: string = r.json<Json>().summaryFile;
      expect(file).toMatch(/^\.kiln\/runs\/\d{8}T\d{6}Z-[0-9a-f]{8}\.json$/);
      expect(r.stderr).toContain(`run summary: ${file}`);
      const doc = JSON.parse(readFileSync(join(repo.dir, file), 'utf8'));
      expect(doc).toMatchObject({
        version: 1,
        exitCode: 1,
        request: { targets: ['build', 'test'], projects: ['a', 'b'] },
        counts: { total: 3, success: 2, failure: 1, cached: 1 },
      });
      const byId = Object.fromEntries(doc.tasks.map((t: Json) => [t.id, t]));
      expect(byId['a:build']).toMatchObject({
        status: 'success',
        cache: 'hit',
        cacheSource: 'local',
        exitCode: 0,
        inputs: { files: { 'packages/a/package.json': expect.stringMatching(/^[0-9a-f]{40}$/), 'packages/a/src/a.txt': expect.any(String) } },
      });
      expect(byId['b:build']).toMatchObject({ status: 'success', cache: 'miss', dependsOn: ['a:build'] });
      expect(byId['b:test']).toMatchObject({ status: 'failure', exitCode: 3, signal: null });
      expect(byId['b:build'].hash).toBe(r.json<Json>().tasks.find((t: Json) => t.id === 'b:build').hash);
      expect(typeof byId['b:build'].durationMs).toBe('number');
      // One file per run.
      repo.kiln(['run', '-t', 'build', '--summarize']);
      expect(readdirSync(join(repo.dir, '.kiln/runs'))).toHaveLength(2);
    } finally {
      repo.cleanup();
    }
  });
});

describe('arguments after --', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'nx.json': { targetDefaults: { test: { dependsOn: ['^test'], cache: true } } },
      '.gitignore': '.kiln\npwned\n',
      'packages/lib/package.json': { name: 'lib', scripts: { test: 'echo "lib got: $*" end' } },
      'packages/app/package.json': { name: 'app', dependencies: { lib: '*' }, scripts: { test: 'node -e "console.log(JSON.stringify(process.argv.slice(1)))" --' } },
      'packages/app/project.json': { name: 'app', targets: { echo: { command: 'node -e "console.log(JSON.stringify(process.argv.slice(1)))" --', cache: true } } },
    });
  });
  afterAll(() => repo.cleanup());

  it('go to the requested task (script or run-commands), quoted for the shell, and into its hash', () => {
    const args = ['--watch', "it's here", '$HOME', 'x; touch pwned', '*'];
    const r = repo.kiln(['app:test', '--json', '--', ...args]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`app:test ${JSON.stringify(args)}`);
    // Only the requested task gets them, as Nx does: its dependency runs as it is.
    expect(r.stderr).toContain('lib:test lib got:  end');
    expect(existsSync(join(repo.dir, 'pwned'))).toBe(false);
    const cmd = repo.kiln(['run', '-t', 'echo', '-p', 'app', '--json', '--', ...args]);
    expect(cmd.stderr).toContain(`app:echo ${JSON.stringify(args)}`);

    // Part of the hash: without them (or with others) it is another task run; with the same, a hit.
    const hashOf = (run: { json: () => Json }, id: string) => run.json().tasks.find((t: Json) => t.id === id);
    const plain = repo.kiln(['run', '-t', 'test', '-p', 'app', '--json']);
    expect(hashOf(plain, 'app:test').hash).not.toBe(hashOf(r, 'app:test').hash);
    expect(hashOf(plain, 'app:test').cache).toBe('miss');
    expect(hashOf(plain, 'lib:test')).toMatchObject({ hash: hashOf(r, 'lib:test').hash, cache: 'local' });
    const again = repo.kiln(['run', '-t', 'test', '-p', 'app', '--json', '--', ...args]);
    expect(hashOf(again, 'app:test')).toMatchObject({ hash: hashOf(r, 'app:test').hash, cache: 'local' });
    // What follows -- is never read as kiln's own options.
    const dry = repo.kiln(['run', '-t', 'test', '-p', 'app', '--dry-run', '--json', '--', '--json', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(hashOf(dry, 'app:test').hash).not.toBe(hashOf(plain, 'app:test').hash);
  });
});

describe('kiln run --verbose', () => {
  it('says on stderr, in words, the phases, the fast path, what was restored and why each task ran', () => {
    const repo = createRepo(sampleWorkspace());
    try {
      const first = repo.kiln(['run', '-t', 'build', '-p', 'a', '--verbose']);
      expect(first.code).toBe(0);
      expect(first.stderr).toMatch(/^kiln: fast path not taken: .+$/m);
      expect(first.stderr).toMatch(/^kiln: workspace and project graph: [\d.]+ms$/m);
      expect(first.stderr).toMatch(/^kiln: task hashes: [\d.]+ms$/m);
      expect(first.stderr).toContain('a:build runs: not in the cache, and no earlier cached run here to compare with');
      // Verbose streams: the task's output and a line per task.
      expect(first.stdout).toContain('a:build built a via build');

      const cached = repo.kiln(['run', '-t', 'build', '-p', 'a', '--verbose']);
      expect(cached.stderr).toMatch(/^kiln: fast path taken: /m);

      repo.write({ 'packages/a/src/a.txt': 'changed\n' });
      const changed = repo.kiln(['run', '-t', 'build', '-p', 'a,c', '--verbose']);
      expect(changed.stderr).toContain('a:build runs: 1 change since its last cached run: file changed: packages/a/src/a.txt');
      const restored = repo.kiln(['run', '-t', 'build', '-p', 'a', '--verbose', '--skip-cache']);
      expect(restored.stderr).toContain('a:build runs: --skip-cache');
      repo.write({ 'packages/c/src/c.txt': 'C2\n' });
      repo.kiln(['run', '-t', 'build', '-p', 'c']);
      repo.write({ 'packages/c/src/c.txt': 'C\n' });
      const hit = repo.kiln(['run', '-t', 'build', '-p', 'c', '--verbose']);
      expect(hit.stderr).toMatch(/✔ c:build \[local cache, hash [0-9a-f]{12}, took \d+m?s when it ran\]/);
      // Without --verbose, none of it.
      const quiet = repo.kiln(['run', '-t', 'build', '-p', 'a', '--skip-cache']);
      expect(quiet.stderr).not.toContain('kiln: task hashes');
      expect(quiet.stderr).not.toContain('runs:');
    } finally {
      repo.cleanup();
    }
  });
});

describe('kiln run output options', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo(sampleWorkspace());
    repo.kiln(['run', '-t', 'build']);
  });
  afterAll(() => repo.cleanup());

  it('grouped in a pipe: a fully cached run is one line; each task that runs has its output together', () => {
    const cached = repo.kiln(['run', '-t', 'build', '--output-style', 'grouped']);
    expect(cached.code).toBe(0);
    expect(cached.stdout).toBe('');
    expect(cached.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^kiln: 5 tasks: 0 run, 5 restored from cache, 0 failed in /)]);
    // turbo's new-only is the same.
    const turbo = repo.kiln(['run', '-t', 'build', '--output-logs', 'new-only', '--skip-cache']);
    expect(turbo.stdout).toContain('built b via build\n');
    expect(turbo.stdout).not.toContain('b:build built');
    expect(turbo.stderr).toMatch(/✔ b:build \(\d+m?s\) \[\d\/5\]/);
  });

  it('grouped: a task printing more than it can hold is streamed instead, whole', () => {
    const big = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      '.gitignore': '.kiln\n',
      'packages/big/package.json': { name: 'big', scripts: { build: 'seq 1 800000' } },
    });
    try {
      const r = big.kiln(['run', '-t', 'build', '--output-style', 'grouped']);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('big:build: more than 4 MiB of output, streamed as it comes');
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(800000);
      expect(lines[0]).toBe('big:build 1');
      expect(lines.at(-1)).toBe('big:build 800000');
    } finally {
      big.cleanup();
    }
  });

  it('rejects an unknown style with exit 2 and the styles it knows', () => {
    const r = repo.kiln(['run', '-t', 'build', '--output-style', 'fancy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--output-style expects one of stream, grouped, summary');
    const j = repo.kiln(['run', '-t', 'build', '--output-logs', 'hash-only', '--json']);
    expect(j.code).toBe(2);
    expect(j.json<Json>().error).toMatchObject({ code: 'invalid-option', hint: expect.stringContaining('--dry-run') });
  });
});

describe('kiln run --json when interrupted', () => {
  it("says 'interrupted' for the running task, exits 130, and the next dry run would run it", async () => {
    const repo = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'nx.json': { targetDefaults: { build: { cache: true } } },
      '.gitignore': '.kiln\nstarted\n',
      'packages/w/package.json': { name: 'w', scripts: { build: 'touch ../../started; while [ ! -f never ]; do sleep 0.05; done' } },
    });
    try {
      const k = repo.startKiln(['run', '-t', 'build', '--json']);
      for (let i = 0; i < 400 && !existsSync(join(repo.dir, 'started')); i++) await new Promise((res) => setTimeout(res, 25));
      k.child.kill('SIGINT');
      const r = await k.done;
      expect(r.code).toBe(130);
      expect(r.json<Json>().tasks).toEqual([expect.objectContaining({ id: 'w:build', status: 'interrupted', cache: 'miss' })]);
      expect(repo.kiln(['run', '-t', 'build', '--dry-run', '--json']).json<Json>().tasks[0]).toMatchObject({ action: 'run', reason: 'never-ran' });
    } finally {
      repo.cleanup();
    }
  });
});
