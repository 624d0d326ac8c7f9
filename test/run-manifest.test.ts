/**
 * `kiln run`'s fast path (the run manifest), end to end: an unchanged request is answered from the
 * manifest with the same JSON the normal path prints, and every kind of change sends the run down
 * the normal path, with the right rebuilds and restores. One repository, one change after another.
 */
import { appendFileSync, cpSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, repoRoot, tempDir, type KilnRun, type TempRepo } from './helpers/repo.js';
import { sampleWorkspace } from './helpers/sample-workspace.js';
import { storedCopy } from './helpers/cache-entry.js';

type Json = { tasks: { id: string; hash: string; status: string; cache: string; durationMs: number }[] };
const byId = (r: KilnRun) => Object.fromEntries(r.json<Json>().tasks.map((t) => [t.id, `${t.status}/${t.cache}`]));
const fast = (r: KilnRun): boolean => {
  const line = /kiln trace: fast path (taken|not taken)/.exec(r.stderr);
  if (!line) throw new Error(`no fast-path trace line in:\n${r.stderr}`);
  return line[1] === 'taken';
};
const allLocal = { 'a:build': 'success/local', 'b:build': 'success/local', 'c:build': 'success/local', 'd:build': 'success/local', 'd:gen': 'success/local' };

describe('kiln run fast path (run manifest)', () => {
  let repo: TempRepo;
  const run = (args: string[] = [], env: NodeJS.ProcessEnv = {}) => {
    const r = repo.kiln(['run', '-t', 'build', '--json', ...args], { env: { KILN_TRACE: '1', ...env } });
    expect(r.code, r.stderr).toBe(0);
    return r;
  };
  /** The next identical run is answered by the manifest again, everything restored. */
  const expectFastAgain = () => {
    const again = run();
    expect(fast(again), again.stderr).toBe(true);
    expect(byId(again)).toEqual(allLocal);
    return again;
  };
  const hashOf = (r: KilnRun, id: string) => r.json<Json>().tasks.find((t) => t.id === id)!.hash;

  beforeAll(() => {
    const ws = sampleWorkspace();
    const d = ws['packages/d/project.json'] as { targets: Record<string, unknown> };
    d.targets.stamp = { command: 'echo stamp=$KILN_TEST_STAMP', cache: true, inputs: [{ env: 'KILN_TEST_STAMP' }] };
    d.targets.clock = { command: 'echo tick', cache: true, inputs: [{ runtime: 'echo constant' }] };
    d.targets.uncached = { command: 'echo again', cache: false };
    repo = createRepo(ws);
  });
  afterAll(() => repo.cleanup());

  const dropManifests = () => rmSync(join(repo.dir, '.kiln/run'), { recursive: true, force: true });
  /** Human output without trace lines and the summary's timing. */
  const human = (r: KilnRun) =>
    `${r.stdout}\n${r.stderr}`
      .split('\n')
      .filter((l) => !l.startsWith('kiln trace:'))
      .map((l) => l.replace(/ in \d+(ms|\.\ds)/, ' in T'))
      .sort();

  let first: KilnRun;
  it('answers an unchanged request from the manifest, with what the normal path prints', () => {
    first = run();
    expect(fast(first)).toBe(false);
    expect(Object.values(byId(first)).every((s) => s === 'success/miss')).toBe(true);
    // After a build: the manifest vouches for the fresh outputs.
    const second = run();
    expect(fast(second)).toBe(true);
    expect(byId(second)).toEqual(allLocal);
    expect(second.json<Json>().tasks.map((t) => t.hash)).toEqual(first.json<Json>().tasks.map((t) => t.hash));
    expect(second.stderr).toContain('b:build built b via build');
    // The normal path on the same state prints the same JSON, and the same human output.
    dropManifests();
    const slow = run();
    expect(fast(slow)).toBe(false);
    expect(slow.stdout).toBe(second.stdout);
    const fastAgain = expectFastAgain();
    expect(fastAgain.stdout).toBe(slow.stdout);
    dropManifests();
    const slowHuman = repo.kiln(['run', '-t', 'build'], { env: { KILN_TRACE: '1' } });
    const fastHuman = repo.kiln(['run', '-t', 'build'], { env: { KILN_TRACE: '1' } });
    expect(fast(slowHuman)).toBe(false);
    expect(fast(fastHuman)).toBe(true);
    expect(human(fastHuman)).toEqual(human(slowHuman));
    expect(fastHuman.stdout).toContain('b:build built b via build');
  });

  it('rebuilds after a tracked input is edited, also to the same size with the same modification time', () => {
    const file = join(repo.dir, 'packages/a/src/a.txt');
    writeFileSync(file, 'A2\n');
    const r = run();
    expect(fast(r)).toBe(false);
    expect(byId(r)).toMatchObject({ 'a:build': 'success/miss', 'b:build': 'success/miss', 'c:build': 'success/local' });
    expectFastAgain();
    // Same size, and the modification time put back: only the change time (and the content) differ.
    const before = statSync(file);
    writeFileSync(file, 'A3\n');
    utimesSync(file, before.atime, before.mtime);
    const same = run();
    expect(fast(same)).toBe(false);
    expect(byId(same)).toMatchObject({ 'a:build': 'success/miss', 'b:build': 'success/miss' });
    expect(readFileSync(join(repo.dir, 'packages/b/dist/out.txt'), 'utf8')).toBe('B\nA3\n');
    expectFastAgain();
  });

  it('rebuilds after a new untracked file, and restores after it is deleted', () => {
    const base = run();
    repo.write({ 'packages/c/src/new.txt': 'new\n' });
    const added = run();
    expect(fast(added)).toBe(false);
    expect(byId(added)).toMatchObject({ 'c:build': 'success/miss', 'a:build': 'success/local' });
    expect(readFileSync(join(repo.dir, 'packages/c/dist/out.txt'), 'utf8')).toBe('C\nnew\n');
    expectFastAgain();
    rmSync(join(repo.dir, 'packages/c/src/new.txt'));
    const removed = run();
    expect(fast(removed)).toBe(false);
    expect(byId(removed)['c:build']).toBe('success/local');
    expect(hashOf(removed, 'c:build')).toBe(hashOf(base, 'c:build'));
    expect(readFileSync(join(repo.dir, 'packages/c/dist/out.txt'), 'utf8')).toBe('C\n');
    expectFastAgain();
  });

  it('sees each file of a new untracked directory, which git status folds into one entry', () => {
    const base = run();
    repo.write({ 'packages/c/src/fresh/one.txt': 'one\n', 'packages/c/src/fresh/deeper/two.txt': 'two\n' });
    const added = run();
    expect(fast(added)).toBe(false);
    expect(byId(added)['c:build']).toBe('success/miss');
    expectFastAgain();
    // An edit inside the folded directory changes neither git's output nor the directory's stat.
    writeFileSync(join(repo.dir, 'packages/c/src/fresh/deeper/two.txt'), 'TWO\n');
    const edited = run();
    expect(fast(edited)).toBe(false);
    expect(byId(edited)['c:build']).toBe('success/miss');
    expect(hashOf(edited, 'c:build')).not.toBe(hashOf(added, 'c:build'));
    expectFastAgain();
    rmSync(join(repo.dir, 'packages/c/src/fresh'), { recursive: true });
    const removed = run();
    expect(hashOf(removed, 'c:build')).toBe(hashOf(base, 'c:build'));
    expectFastAgain();
  });

  it('restores an output modified in place or deleted', () => {
    const out = join(repo.dir, 'packages/b/dist/out.txt');
    const good = readFileSync(out, 'utf8');
    writeFileSync(out, 'scribbled over\n');
    const modified = run();
    expect(fast(modified)).toBe(false);
    expect(byId(modified)['b:build']).toMatch(/^success\//);
    expect(readFileSync(out, 'utf8')).toBe(good);
    expectFastAgain();
    rmSync(join(repo.dir, 'packages/a/dist'), { recursive: true });
    const deleted = run();
    expect(fast(deleted)).toBe(false);
    expect(byId(deleted)['a:build']).toBe('success/local');
    expect(readFileSync(join(repo.dir, 'packages/a/dist/out.txt'), 'utf8')).toBe('A3\n');
    expectFastAgain();
  });

  it('rebuilds when a cache entry is removed or corrupted', () => {
    const base = run();
    rmSync(join(repo.dir, '.kiln/cache/entries', hashOf(base, 'c:build')), { recursive: true });
    const removed = run();
    expect(fast(removed)).toBe(false);
    expect(byId(removed)['c:build']).toBe('success/miss');
    expectFastAgain();
    const meta = join(repo.dir, '.kiln/cache/entries', hashOf(base, 'd:gen'), 'meta.json');
    writeFileSync(meta, readFileSync(meta, 'utf8').slice(0, 40));
    const corrupt = run();
    expect(fast(corrupt)).toBe(false);
    expect(byId(corrupt)['d:gen']).toBe('success/miss');
    expect(corrupt.stderr).toContain('was corrupt');
    expectFastAgain();
    // A stored output rewritten in the cache while the workspace holds its own copy (the task just
    // ran): the normal path takes nothing from the entry then, and neither does the fast path.
    rmSync(join(repo.dir, '.kiln/cache/entries', hashOf(base, 'a:build')), { recursive: true });
    expect(byId(run())['a:build']).toBe('success/miss');
    expectFastAgain();
    const out = join(repo.dir, 'packages/a/dist/out.txt');
    const stored = storedCopy(join(repo.dir, '.kiln/cache/entries', hashOf(base, 'a:build')), 'packages/a/dist/out.txt');
    expect(statSync(out).nlink).toBe(1);
    writeFileSync(stored, 'tampered\n');
    const tampered = run();
    expect(fast(tampered), tampered.stderr).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe('A3\n');
    // Once needed, the damaged copy is found, reported and the task rebuilt.
    rmSync(join(repo.dir, 'packages/a/dist'), { recursive: true });
    const needed = run();
    expect(fast(needed)).toBe(false);
    expect(byId(needed)['a:build']).toBe('success/miss');
    expect(needed.stderr).toContain('was corrupt');
    expect(readFileSync(out, 'utf8')).toBe('A3\n');
    expectFastAgain();
    // Restored as a hard link and then rewritten through the cache: the output changed with it.
    rmSync(join(repo.dir, 'packages/a/dist'), { recursive: true });
    expect(byId(run())['a:build']).toBe('success/local');
    expect(statSync(out).nlink).toBe(2);
    expectFastAgain();
    writeFileSync(stored, 'tampered\n');
    const linked = run();
    expect(fast(linked)).toBe(false);
    expect(linked.stderr).toContain('was corrupt');
    expect(readFileSync(out, 'utf8')).toBe('A3\n');
    expectFastAgain();
  });

  it('reruns a task when an env variable named by its inputs changes', () => {
    const stamp = (value: string) => {
      const r = repo.kiln(['run', '-t', 'stamp', '--json'], { env: { KILN_TRACE: '1', KILN_TEST_STAMP: value } });
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    expect(byId(stamp('1'))).toEqual({ 'd:stamp': 'success/miss' });
    const again = stamp('1');
    expect(fast(again)).toBe(true);
    expect(again.stderr).toContain('stamp=1');
    const changed = stamp('2');
    expect(fast(changed)).toBe(false);
    expect(byId(changed)).toEqual({ 'd:stamp': 'success/miss' });
    expect(fast(stamp('2'))).toBe(true);
  });

  it('takes the normal path after nx.json or project.json changes', () => {
    const nxJson = JSON.parse(readFileSync(join(repo.dir, 'nx.json'), 'utf8'));
    repo.write({ 'nx.json': { ...nxJson, namedInputs: { ...nxJson.namedInputs, unused: ['{projectRoot}/**/*'] } } });
    const nx = run();
    expect(fast(nx)).toBe(false);
    expect(byId(nx)).toEqual(allLocal);
    expectFastAgain();
    const projectJson = JSON.parse(readFileSync(join(repo.dir, 'packages/d/project.json'), 'utf8'));
    projectJson.targets.gen.options.commands[1] = 'echo two > packages/d/gen/1.txt';
    repo.write({ 'packages/d/project.json': projectJson });
    const pj = run();
    expect(fast(pj)).toBe(false);
    expect(byId(pj)).toMatchObject({ 'd:gen': 'success/miss', 'd:build': 'success/miss', 'a:build': 'success/local' });
    expect(readFileSync(join(repo.dir, 'packages/d/gen/1.txt'), 'utf8')).toBe('two\n');
    expectFastAgain();
  });

  it('takes the normal path after HEAD moves', () => {
    repo.git('add', '-A');
    repo.git('commit', '-q', '-m', 'everything so far');
    const committed = run();
    expect(fast(committed)).toBe(false);
    expect(byId(committed)).toEqual(allLocal);
    expectFastAgain();
    repo.git('commit', '-q', '--allow-empty', '-m', 'nothing changed but HEAD');
    expect(fast(run())).toBe(false);
    expectFastAgain();
  });

  it('keeps one manifest per request: another selection has its own', () => {
    const one = run(['-p', 'a']);
    expect(fast(one)).toBe(false);
    expect(byId(one)).toEqual({ 'a:build': 'success/local' });
    expect(fast(run(['-p', 'a']))).toBe(true);
    expect(fast(run(['-p', 'b']))).toBe(false);
    // The full request's manifest still holds: nothing it vouches for changed.
    expectFastAgain();
    expect(readdirSync(join(repo.dir, '.kiln/run')).length).toBeGreaterThanOrEqual(3);
  });

  it('takes the normal path after an output folder is replaced by a link leading out, or by another folder', () => {
    const runA = () => run(['-p', 'a']);
    const hash = hashOf(runA(), 'a:build');
    expect(fast(runA())).toBe(true);
    // A file added beside the outputs changes their folder's times, not its identity.
    writeFileSync(join(repo.dir, 'packages/a/dist/editor.swp'), 'x\n');
    expect(fast(runA())).toBe(true);
    rmSync(join(repo.dir, 'packages/a/dist/editor.swp'));
    // The output folder moved out of the workspace, a link left in its place: every output's lstat
    // (through the link) is unchanged, but the normal path refuses the entry.
    const outside = tempDir('kiln-outside-');
    const dist = join(repo.dir, 'packages/a/dist');
    try {
      renameSync(dist, join(outside, 'dist'));
      symlinkSync(join(outside, 'dist'), dist);
      const linked = runA();
      expect(fast(linked)).toBe(false);
      expect(linked.stderr).toContain('the output folder "packages/a/dist" leads out of the workspace (a symbolic link)');
      expect(byId(linked)).toEqual({ 'a:build': 'success/miss' });
    } finally {
      rmSync(dist, { force: true });
      renameSync(join(outside, 'dist'), dist);
      rmSync(outside, { recursive: true, force: true });
    }
    // That run stored an entry without the outputs that led out: make it again.
    rmSync(join(repo.dir, '.kiln/cache/entries', hash), { recursive: true });
    expect(byId(runA())).toEqual({ 'a:build': 'success/miss' });
    expect(fast(runA())).toBe(true);
    // The project's folder replaced by another one holding the very same files (their stats unchanged).
    const a = join(repo.dir, 'packages/a');
    const fresh = join(repo.dir, 'packages/a.new');
    mkdirSync(fresh);
    for (const name of readdirSync(a)) renameSync(join(a, name), join(fresh, name));
    rmdirSync(a);
    renameSync(fresh, a);
    const moved = runA();
    expect(fast(moved)).toBe(false);
    expect(moved.stderr).toContain('an output, a cache entry or the cache itself changed');
    expect(byId(moved)).toEqual({ 'a:build': 'success/local' });
    expect(fast(runA())).toBe(true);
    // The whole request's manifest vouched for those folders too.
    const full = run();
    expect(fast(full)).toBe(false);
    expect(byId(full)).toEqual(allLocal);
    expectFastAgain();
  });

  it('has no fast path for a task with a {runtime} input or without cache', () => {
    for (const target of ['clock', 'uncached']) {
      const runs = [0, 1].map(() => repo.kiln(['run', '-t', target, '--json'], { env: { KILN_TRACE: '1' } }));
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      expect(fast(runs[1]!)).toBe(false);
      expect(runs[1]!.stderr).toContain(target === 'clock' ? 'tick' : 'again');
      // The normal path answered: the {runtime} task from the cache (its value was asked again), the other ran.
      expect(byId(runs[1]!)).toEqual({ [`d:${target}`]: target === 'clock' ? 'success/local' : 'success/miss' });
    }
  });

  it('never writes a manifest for a failed run', () => {
    const failing = repo.kiln(['run', '-t', 'test', '-p', 'b', '--json'], { env: { KILN_TRACE: '1' } });
    expect(failing.code).toBe(1);
    const again = repo.kiln(['run', '-t', 'test', '-p', 'b', '--json'], { env: { KILN_TRACE: '1' } });
    expect(again.code).toBe(1);
    expect(fast(again)).toBe(false);
  });
});

describe('kiln run fast path in a root project', () => {
  it('never lets the check\'s git snapshot take .kiln for inputs when .kiln/.gitignore went missing', () => {
    const repo = createRepo({
      'project.json': { name: 'solo', targets: { build: { command: 'mkdir -p out && cp src.txt out/', cache: true, outputs: ['{projectRoot}/out'] } } },
      'nx.json': {},
      '.gitignore': 'out\n',
      'src.txt': 'x\n',
    });
    try {
      const env = { KILN_TRACE: '1' };
      const first = repo.kiln(['run', '-t', 'build', '--json'], { env });
      expect(byId(first)).toEqual({ 'solo:build': 'success/miss' });
      expect(fast(repo.kiln(['run', '-t', 'build', '--json'], { env }))).toBe(true);
      rmSync(join(repo.dir, '.kiln/.gitignore'));
      const again = repo.kiln(['run', '-t', 'build', '--json'], { env });
      expect(fast(again)).toBe(false);
      expect(byId(again)).toEqual({ 'solo:build': 'success/local' });
      expect(again.json<Json>().tasks[0]!.hash).toBe(first.json<Json>().tasks[0]!.hash);
    } finally {
      repo.cleanup();
    }
  });
});

describe('kiln run fast path after kiln itself changes', () => {
  /** A copy of the built kiln (both packages' dist), using the checkout's dependencies. */
  const copyKiln = (): string => {
    const dir = tempDir('kiln-engine-');
    for (const pkg of ['core', 'cli']) {
      const from = join(repoRoot, 'packages', pkg);
      const to = join(dir, 'packages', pkg);
      mkdirSync(to, { recursive: true });
      cpSync(join(from, 'package.json'), join(to, 'package.json'));
      cpSync(join(from, 'dist'), join(to, 'dist'), { recursive: true });
      if (pkg === 'cli') cpSync(join(from, 'bin'), join(to, 'bin'), { recursive: true });
      try {
        symlinkSync(join(from, 'node_modules'), join(to, 'node_modules'));
      } catch {
        // no package-local dependencies
      }
    }
    mkdirSync(join(dir, 'node_modules/@kiln'), { recursive: true });
    for (const name of readdirSync(join(repoRoot, 'node_modules'))) if (name !== '@kiln') symlinkSync(join(repoRoot, 'node_modules', name), join(dir, 'node_modules', name));
    symlinkSync('../../packages/core', join(dir, 'node_modules/@kiln/core'));
    symlinkSync('../../packages/cli', join(dir, 'node_modules/@kiln/cli'));
    return dir;
  };

  it('voids every manifest when an engine file is edited, added or removed, with or without a .tsbuildinfo', () => {
    const kiln = copyKiln();
    const repo = createRepo(sampleWorkspace());
    try {
      const run = (): KilnRun => {
        const r = repo.kiln(['run', '-t', 'build', '--json'], { bin: join(kiln, 'packages/cli/bin/kiln.js'), env: { KILN_TRACE: '1' } });
        expect(r.code, r.stderr).toBe(0);
        return r;
      };
      /** The change voids the manifest: the next run takes the normal path, the one after it the fast path again. */
      const expectVoided = () => {
        expect(fast(run())).toBe(false);
        expect(fast(run())).toBe(true);
      };
      const core = join(kiln, 'packages/core');
      expect(readdirSync(join(core, 'dist'))).toContain('.tsbuildinfo');
      expect(fast(run())).toBe(false);
      expect(fast(run())).toBe(true);
      // An engine module no hand-kept list names, re-emitted (as `tsc -b` does with only the files that changed).
      appendFileSync(join(core, 'dist/workspace/find-root.js'), '\n// edited\n');
      expectVoided();
      // Edited in place at the same size, its modification time put back.
      const file = join(core, 'dist/model/paths.js');
      const before = statSync(file);
      writeFileSync(file, readFileSync(file, 'utf8').replace(/\n$/, ' '));
      utimesSync(file, before.atime, before.mtime);
      expectVoided();
      // A new module.
      writeFileSync(join(core, 'dist/workspace/extra.js'), 'export {};\n');
      expectVoided();
      // A rebuild rewrites the build info.
      appendFileSync(join(core, 'dist/.tsbuildinfo'), ' ');
      expectVoided();
      // An installed copy without build info: the fast path still works, and still sees edits.
      rmSync(join(core, 'dist/.tsbuildinfo'));
      expect(fast(run())).toBe(false);
      expect(byId(run())).toEqual(allLocal);
      expect(fast(run())).toBe(true);
      appendFileSync(join(core, 'dist/workspace/find-root.js'), '// again\n');
      expectVoided();
      // The package itself (an upgrade).
      appendFileSync(join(core, 'package.json'), '\n');
      expectVoided();
    } finally {
      repo.cleanup();
      rmSync(kiln, { recursive: true, force: true });
    }
  });
});
