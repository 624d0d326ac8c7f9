/**
 * `kiln run` through the daemon: a fully cached run is answered from the daemon's memory (no
 * check in the CLI), with the same output and exit code as the direct path; whatever the manifest
 * vouches for and the workspace watcher does not see (an output git ignores, a cache entry, an env
 * value the hashes read) voids the kept answer; a daemon busy with another question is not waited
 * for. And a root .gitignore edit renews the watch: a folder it no longer ignores is watched
 * without a restart.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepo, type FileTree, type TempRepo } from './helpers/repo.js';

const build = (name: string): string =>
  `node -e "require('fs').mkdirSync('dist',{recursive:true});require('fs').writeFileSync('dist/out.txt','${name} '+(process.env.FLAVOUR||''));console.log('built ${name}')"`;
const workspace: FileTree = {
  'package.json': { name: 'w', private: true, workspaces: ['p/*'] },
  'nx.json': {
    targetDefaults: {
      build: { cache: true, dependsOn: ['^build'], outputs: ['{projectRoot}/dist'], inputs: ['default', { env: 'FLAVOUR' }] },
      // A question that keeps the daemon busy for seconds: hashing runs this command (and says when it started).
      slow: { cache: true, inputs: [{ runtime: `node -e "require('fs').writeFileSync('.kiln/busy','');setTimeout(()=>{},5000)"` }] },
    },
  },
  '.gitignore': '.kiln\ndist/\ngen/\n',
  'p/a/package.json': { name: 'a', scripts: { build: build('a'), slow: 'echo slow' } },
  'p/a/src/index.ts': 'export const a = 1;\n',
  'p/b/package.json': { name: 'b', dependencies: { a: '*' }, scripts: { build: build('b') } },
  'p/b/src/index.ts': "import { a } from 'a';\nexport const b = a;\n",
};
// Waiting for the daemon's answer whatever the load (the default bound is 150 ms: the test of a busy daemon uses it).
const on = { KILN_DAEMON: '1', KILN_DAEMON_IDLE_MS: '120000', KILN_DAEMON_RUN_WAIT_MS: '60000' };
const off = { KILN_DAEMON: '0' };

const repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) {
    r.kiln(['daemon', 'stop'], { env: on });
    r.cleanup();
  }
});
function repo(): TempRepo {
  const r = createRepo(workspace);
  repos.push(r);
  expect(r.kiln(['daemon', 'start'], { env: on }).code).toBe(0);
  return r;
}
/** What a run's --json says, without the times. */
async function until(ok: () => boolean, ms = 20_000): Promise<void> {
  for (let waited = 0; !ok(); waited += 50) {
    if (waited > ms) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const outcome = (stdout: string) =>
  (JSON.parse(stdout) as { tasks: { id: string; hash: string; status: string; cache: string }[] }).tasks.map(({ id, hash, status, cache }) => ({ id, hash, status, cache }));

describe('kiln run through the daemon', () => {
  it('answers a fully cached run from memory, as the direct path does, until something it vouches for changes', () => {
    const r = repo();
    const runVia = (env: Record<string, string>) => r.kiln(['run', '-t', 'build', '--json', '--verbose'], { env });
    const first = runVia(on);
    expect(first.code, first.stderr).toBe(0);
    expect(outcome(first.stdout).map((t) => t.cache)).toEqual(['miss', 'miss']);
    // Checked by the daemon now, then kept: the second time from memory. Same bytes on stdout as the direct fast path.
    expect(runVia(on).stderr).toMatch(/daemon: answered by the daemon, checked now/);
    const kept = runVia(on);
    expect(kept.stderr).toMatch(/daemon: answered from memory/);
    expect(kept.stderr).toMatch(/fast path taken/);
    // Its check's own watches (outputs git ignores, cache entries, kiln's engine) are reported beside the workspace watcher's.
    const status = r.kiln(['daemon', 'status', '--json'], { env: on }).json<{ runCheckFolders: number; watchedFolders: number }>();
    expect(status.runCheckFolders).toBeGreaterThanOrEqual(4);
    expect(r.kiln(['daemon', 'status'], { env: on }).stdout).toContain(`and ${status.runCheckFolders} folders for kiln run's check`);
    const direct = r.kiln(['run', '-t', 'build', '--json'], { env: off });
    expect({ code: kept.code, stdout: kept.stdout }).toEqual({ code: direct.code, stdout: direct.stdout });
    expect(r.kiln(['run', '-t', 'build'], { env: on }).stdout).toBe(r.kiln(['run', '-t', 'build'], { env: off }).stdout);

    // Changes the daemon must see although git ignores them; after each, the daemon's path and the direct path agree.
    const outputs = () => ['a', 'b'].map((p) => readFileSync(join(r.dir, `p/${p}/dist/out.txt`), 'utf8'));
    const built = outputs();
    const changes: [string, () => void][] = [
      ['an output edited', () => appendFileSync(join(r.dir, 'p/a/dist/out.txt'), ' edited')],
      ['an output removed', () => rmSync(join(r.dir, 'p/b/dist/out.txt'))],
      ['an output folder removed', () => rmSync(join(r.dir, 'p/a/dist'), { recursive: true })],
      ['a cache entry removed', () => rmSync(join(r.dir, '.kiln/cache/entries', readdirSync(join(r.dir, '.kiln/cache/entries'))[0]!), { recursive: true })],
      ['a source edited', () => appendFileSync(join(r.dir, 'p/a/src/index.ts'), 'export const again = 2;\n')],
    ];
    for (const [what, change] of changes) {
      change();
      const via = runVia(on);
      expect(via.stderr, what).not.toMatch(/daemon: answered from memory/);
      expect(via.code, `${what}\n${via.stderr}`).toBe(0);
      // Restored: the kept answer was not replayed over a changed output.
      expect(outputs(), what).toEqual(built);
      // Settled again: from memory, and the same as the direct answer.
      runVia(on);
      const again = runVia(on);
      expect(again.stderr, what).toMatch(/daemon: answered from memory/);
      expect(outcome(again.stdout), what).toEqual(outcome(r.kiln(['run', '-t', 'build', '--json'], { env: off }).stdout));
    }
    // --affected asks the daemon which projects, then whether their run still holds: the same answer as directly.
    const affectedVia = r.kiln(['run', '-t', 'build', '--affected', '--json', '--verbose'], { env: on });
    expect(affectedVia.stderr).toMatch(/daemon: answered/);
    expect(outcome(affectedVia.stdout)).toEqual(outcome(r.kiln(['run', '-t', 'build', '--affected', '--json'], { env: off }).stdout));
    expect(outcome(affectedVia.stdout).map((t) => t.id)).toEqual(['a:build', 'b:build']);
    // An env value the hashes read: another answer (tasks run), not the kept one.
    const flavoured = r.kiln(['run', '-t', 'build', '--json', '--verbose'], { env: { ...on, FLAVOUR: 'x' } });
    expect(flavoured.stderr).not.toMatch(/daemon: answered from memory/);
    expect(outcome(flavoured.stdout).map((t) => t.cache)).toEqual(['miss', 'miss']);
  }, 120_000);

  it('does not wait for a busy daemon: kiln run checks directly and says so', async () => {
    const r = repo();
    expect(r.kiln(['run', '-t', 'build'], { env: on }).code).toBe(0);
    const busy = r.startKiln(['hash', 'a:slow', '--json'], { env: on });
    await until(() => existsSync(join(r.dir, '.kiln/busy')));
    const run = r.kiln(['run', '-t', 'build', '--json', '--verbose'], { env: { ...on, KILN_DAEMON_RUN_WAIT_MS: undefined } });
    expect(run.stderr).toMatch(/daemon: the daemon did not answer within 150 ms; checking directly/);
    expect(run.stderr).toMatch(/fast path taken/);
    expect(outcome(run.stdout)).toEqual(outcome(r.kiln(['run', '-t', 'build', '--json'], { env: off }).stdout));
    expect((await busy.done).code).toBe(0);
  }, 60_000);

  it('watches a folder the root .gitignore stops ignoring, without a restart', () => {
    const r = repo();
    const affected = () => r.kiln(['affected', '--json', '--verbose'], { env: on });
    expect(affected().json<{ projects: string[] }>().projects).toEqual([]);
    expect(affected().stderr).toMatch(/from memory/);
    writeFileSync(join(r.dir, '.gitignore'), '.kiln\ndist/\n');
    // The .gitignore edit itself is a change of the root: every project.
    const afterEdit = affected();
    expect(afterEdit.stderr).toMatch(/daemon: answered/);
    r.git('add', '.gitignore');
    r.git('commit', '-qm', 'gen is not ignored');
    expect(affected().json<{ projects: string[] }>().projects).toEqual([]);
    expect(affected().stderr).toMatch(/from memory/);
    // A new file in a folder that used to be ignored: seen.
    mkdirSync(join(r.dir, 'p/b/gen'));
    writeFileSync(join(r.dir, 'p/b/gen/x.ts'), 'export const x = 1;\n');
    const seen = affected();
    expect(seen.json<{ projects: string[] }>().projects).toEqual(['b']);
    expect(seen.stdout).toBe(r.kiln(['affected', '--json'], { env: off }).stdout);
  }, 60_000);
});
