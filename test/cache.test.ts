/**
 * The local cache under stress, end to end: corrupt entries, a run interrupted half-way, and two
 * kiln processes sharing one cache at once.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, processExists, type TempRepo } from './helpers/repo.js';
import { sampleWorkspace } from './helpers/sample-workspace.js';
import { storedCopy } from './helpers/cache-entry.js';

type Json = { tasks: { id: string; hash: string; status: string; cache: string }[] };
const byId = (j: Json) => Object.fromEntries(j.tasks.map((t) => [t.id, `${t.status}/${t.cache}`]));

async function waitFor(path: string): Promise<void> {
  while (!existsSync(path)) await new Promise((r) => setTimeout(r, 20));
}


describe('the local cache', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo(sampleWorkspace());
  });
  afterAll(() => repo.cleanup());

  it('detects a corrupted entry, reports and removes it, and rebuilds', () => {
    const first = repo.kiln(['run', '-t', 'build', '-p', 'a', '--json']);
    const hash = first.json<Json>().tasks[0]!.hash;
    const stored = storedCopy(join(repo.dir, '.kiln/cache/entries', hash), 'packages/a/dist/out.txt');
    writeFileSync(stored, 'tampered\n');

    // The workspace still holds the output as built: nothing is taken from the entry, nothing is replayed from the damaged copy.
    const intact = repo.kiln(['run', '-t', 'build', '-p', 'a', '--json']);
    expect(byId(intact.json())).toEqual({ 'a:build': 'success/local' });
    expect(intact.stderr).not.toContain('corrupt');
    expect(readFileSync(join(repo.dir, 'packages/a/dist/out.txt'), 'utf8')).toBe('A\n');

    // Once the stored copy is needed, the damage is found: reported, removed, rebuilt.
    rmSync(join(repo.dir, 'packages/a/dist'), { recursive: true });
    const second = repo.kiln(['run', '-t', 'build', '-p', 'a', '--json']);
    expect(second.code).toBe(0);
    expect(byId(second.json())).toEqual({ 'a:build': 'success/miss' });
    expect(second.stderr).toMatch(/cache entry of a:build .* was corrupt/);
    expect(readFileSync(join(repo.dir, 'packages/a/dist/out.txt'), 'utf8')).toBe('A\n');
    // Rebuilt and stored again, intact.
    expect(readFileSync(stored, 'utf8')).toBe('A\n');
    expect(byId(repo.kiln(['run', '-t', 'build', '-p', 'a', '--json']).json())).toEqual({ 'a:build': 'success/local' });

    // A truncated manifest is corrupt too.
    const meta = join(repo.dir, '.kiln/cache/entries', hash, 'meta.json');
    writeFileSync(meta, readFileSync(meta, 'utf8').slice(0, 30));
    const third = repo.kiln(['run', '-t', 'build', '-p', 'a', '--json']);
    expect(byId(third.json())).toEqual({ 'a:build': 'success/miss' });
    expect(third.stderr).toContain('was corrupt');
  });

  it('keeps an intact entry when a workspace file stands where its output folder must be', () => {
    const first = repo.kiln(['run', '-t', 'build', '-p', 'c', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const hash = first.json<Json>().tasks[0]!.hash;
    const dist = join(repo.dir, 'packages/c/dist');
    rmSync(dist, { recursive: true });
    writeFileSync(dist, 'in the way\n');
    const blocked = repo.kiln(['run', '-t', 'build', '-p', 'c', '--json']);
    expect(blocked.stderr).toContain('the outputs of c:build could not be restored: a file stands in the way of the output folder "packages/c/dist". Running the task.');
    expect(blocked.stderr).not.toContain('corrupt');
    // The task ran, and its own `mkdir -p dist` met the file.
    expect(blocked.code).toBe(1);
    expect(byId(blocked.json())).toEqual({ 'c:build': 'failure/miss' });
    expect(readFileSync(dist, 'utf8')).toBe('in the way\n');
    expect(existsSync(join(repo.dir, '.kiln/cache/entries', hash, 'meta.json'))).toBe(true);
    // With the file gone, the kept entry restores.
    rmSync(dist);
    const back = repo.kiln(['run', '-t', 'build', '-p', 'c', '--json']);
    expect(byId(back.json())).toEqual({ 'c:build': 'success/local' });
    expect(readFileSync(join(dist, 'out.txt'), 'utf8')).toBe('C\n');
  });

  it('leaves no entry and no process behind when interrupted half-way', async () => {
    const slow = createRepo({
      'package.json': { name: 'r', private: true, workspaces: ['p/*'] },
      'nx.json': { targetDefaults: { build: { cache: true, outputs: ['{projectRoot}/dist'] } } },
      '.gitignore': 'dist\n.kiln\nmarker*\n',
      // Writes half its output, says it started, then waits (forever) for a file that never comes.
      'p/s/package.json': {
        name: 's',
        scripts: { build: 'mkdir -p dist && echo half > dist/out.txt && sh -c \'echo $$ > ../../marker-pid; while [ ! -f never ]; do sleep 0.05; done\' ' },
      },
    });
    try {
      const k = slow.startKiln(['run', '-t', 'build']);
      await waitFor(join(slow.dir, 'marker-pid'));
      const grandchild = Number(readFileSync(join(slow.dir, 'marker-pid'), 'utf8').trim() || '0');
      k.child.kill('SIGINT');
      const r = await k.done;
      expect(r.code).toBe(130);
      const entries = join(slow.dir, '.kiln/cache/entries');
      expect(existsSync(entries) ? readdirSync(entries) : []).toEqual([]);
      expect(existsSync(join(slow.dir, '.kiln/cache/tmp')) ? readdirSync(join(slow.dir, '.kiln/cache/tmp')) : []).toEqual([]);
      // The whole process tree is gone, not just the shell kiln spawned.
      if (grandchild > 0) {
        for (let i = 0; i < 100 && processExists(grandchild); i++) await new Promise((res) => setTimeout(res, 20));
        expect(processExists(grandchild)).toBe(false);
      }
      // And the next run builds it from scratch (no half entry is replayed).
      writeFileSync(join(slow.dir, 'p/s/never'), '');
      const again = slow.kiln(['run', '-t', 'build', '--json']);
      expect(byId(again.json())).toEqual({ 's:build': 'success/miss' });
    } finally {
      slow.cleanup();
    }
  });

  it('lets two runs share one cache at the same time', async () => {
    const shared = createRepo(sampleWorkspace());
    try {
      const [x, y] = await Promise.all([shared.startKiln(['run', '-t', 'build', '--json']).done, shared.startKiln(['run', '-t', 'build', '--json']).done]);
      expect(x.code, x.stderr).toBe(0);
      expect(y.code, y.stderr).toBe(0);
      for (const r of [x, y]) expect(Object.values(byId(r.json())).every((s) => s.startsWith('success/'))).toBe(true);
      const third = shared.kiln(['run', '-t', 'build', '--json']);
      expect(Object.values(byId(third.json()))).toEqual(Array(5).fill('success/local'));
      expect(readdirSync(join(shared.dir, '.kiln/cache/tmp'))).toEqual([]);

    } finally {
      shared.cleanup();
    }
  });

  it('lets two runs restore the same outputs at once, round after round', async () => {
    // Many outputs to a task: the restores overlap. Each may find a file absent that the other
    // writes the next moment, and must replace it rather than fail on EEXIST. Five rounds of six
    // tasks give hundreds of such chances; each round is two kiln start-ups, slow on a loaded machine.
    const files = Array.from({ length: 40 }, (_, i) => `f${i}.txt`).join(' ');
    const tree: Record<string, string | object> = {
      'package.json': { name: 'r', private: true, workspaces: ['p/*'] },
      'nx.json': { targetDefaults: { build: { cache: true, outputs: ['{projectRoot}/dist'] } } },
      '.gitignore': 'dist\n.kiln\n',
    };
    const names = Array.from({ length: 6 }, (_, i) => `p${i}`);
    for (const n of names) tree[`p/${n}/package.json`] = { name: n, scripts: { build: `mkdir -p dist/sub && cd dist && for f in ${files}; do echo ${n} $f > $f; done && ln -s ../f0.txt sub/link` } };
    const racy = createRepo(tree);
    try {
      expect(racy.kiln(['run', '-t', 'build']).code).toBe(0);
      for (let round = 0; round < 5; round++) {
        for (const n of names) rmSync(join(racy.dir, 'p', n, 'dist'), { recursive: true, force: true });
        rmSync(join(racy.dir, '.kiln/run'), { recursive: true, force: true });
        const both = await Promise.all([racy.startKiln(['run', '-t', 'build', '--json']).done, racy.startKiln(['run', '-t', 'build', '--json']).done]);
        for (const r of both) {
          expect(r.code, `round ${round}: ${r.stderr}`).toBe(0);
          expect(Object.values(byId(r.json()))).toEqual(Array(names.length).fill('success/local'));
        }
        for (const n of names) {
          // Every output in place, no temporary name left behind.
          expect(readdirSync(join(racy.dir, 'p', n, 'dist')).length).toBe(41);
          expect(readFileSync(join(racy.dir, 'p', n, 'dist/sub/link'), 'utf8')).toBe(`${n} f0.txt\n`);
        }
      }
    } finally {
      racy.cleanup();
    }
  });
});
