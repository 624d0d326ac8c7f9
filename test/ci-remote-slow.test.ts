/**
 * CI across machines with a real remote cache (turborepo-remote-cache from npm on 127.0.0.1):
 * two fresh clones run the two shards of one plan against the same server and between them
 * build every task once; a third restores everything. `kiln ci state save` on main puts the
 * affected state on the server, and a fresh clone of a branch loads it and rescans only what
 * differs; a signature key that does not match is a warning and a full scan, never a wrong answer.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTurboServer, type CacheServer } from './helpers/cache-servers.js';
import { createRepo, git, runKiln, startKiln, tempDir, type ProcessRun, type TempRepo } from './helpers/repo.js';

type RunJson = { tasks: { id: string; status: string; cache: string }[] };
const TOKEN = 'tok-ci-0815';

const build = 'mkdir -p dist && echo "$npm_package_name" > dist/out.txt';
const pkg = (name: string, deps: string[] = []) => ({ name, version: '1.0.0', dependencies: Object.fromEntries(deps.map((d) => [d, '*'])), scripts: { build } });

function workspace() {
  const tree: Record<string, string | object> = {
    'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
    'nx.json': { targetDefaults: { build: { dependsOn: ['^build'], cache: true, outputs: ['{projectRoot}/dist'] } } },
    '.gitignore': 'dist\n.kiln\n',
    'packages/lib/package.json': pkg('lib'),
    'packages/lib/src/index.ts': 'export const lib = 1;\n',
  };
  for (const app of ['app1', 'app2', 'app3']) {
    tree[`packages/${app}/package.json`] = pkg(app, ['lib']);
    tree[`packages/${app}/src/index.ts`] = "import { lib } from 'lib';\nexport const app = lib;\n";
  }
  for (const solo of ['solo1', 'solo2', 'solo3']) tree[`packages/${solo}/package.json`] = pkg(solo);
  return tree;
}

describe('CI with a remote cache server', () => {
  let server: CacheServer;
  let repo: TempRepo;
  let env: NodeJS.ProcessEnv;
  const clone = (): string => {
    const dir = join(tempDir(), 'clone');
    git(repo.dir, ['clone', '-q', repo.dir, dir]);
    return dir;
  };
  const misses = (...runs: ProcessRun[]) =>
    runs
      .flatMap((r) => r.json<RunJson>().tasks)
      .filter((t) => t.cache === 'miss')
      .map((t) => t.id)
      .sort();

  beforeAll(async () => {
    server = await startTurboServer({ token: TOKEN, signatureKey: 'key-1' });
    env = { TURBO_API: server.url, TURBO_TOKEN: TOKEN, TURBO_TEAM: 'kiln-ci', TURBO_REMOTE_CACHE_SIGNATURE_KEY: 'key-1' };
    repo = createRepo(workspace());
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('two clones run the two shards of a plan against one server and build every task once', async () => {
    const planFile = join(tempDir(), 'plan.json');
    const plan = runKiln(['ci', 'plan', '-t', 'build', '--shards', '2', '--json'], { cwd: clone(), env });
    expect(plan.code, plan.stderr).toBe(0);
    writeFileSync(planFile, plan.stdout);
    const shard = (i: number) => startKiln(['run', '-t', 'build', '--shard', `${i}/2`, '--plan', planFile, '--json'], { cwd: clone(), env }).done;
    const first = await shard(1);
    expect(first.code, first.stderr).toBe(0);
    const second = await shard(2);
    expect(second.code, second.stderr).toBe(0);
    expect(misses(first, second)).toEqual(['app1', 'app2', 'app3', 'lib', 'solo1', 'solo2', 'solo3'].map((p) => `${p}:build`));
    const third = runKiln(['run', '-t', 'build', '--json'], { cwd: clone(), env });
    expect(third.code, third.stderr).toBe(0);
    expect(misses(third)).toEqual([]);
    expect(new Set(third.json<RunJson>().tasks.map((t) => t.cache))).toEqual(new Set(['remote']));
  });

  it("a fresh clone of a branch loads the main commit's state from the server and rescans only what differs", () => {
    const saved = runKiln(['ci', 'state', 'save', '--json'], { cwd: repo.dir, env });
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.json().stored).toEqual(["the cache folder's states/", `remote cache ${server.url}`]);
    const branch = (): string => {
      const dir = clone();
      writeFileSync(join(dir, 'packages/solo1/src.ts'), "import { lib } from 'lib';\n");
      git(dir, ['add', '-A']);
      git(dir, ['commit', '-qm', 'solo1 uses lib']);
      return dir;
    };
    const affected = (cwd: string, extra: NodeJS.ProcessEnv = {}) =>
      runKiln(['affected', '--base', 'origin/main', '--head', 'HEAD', '--json'], { cwd, env: { ...env, KILN_TRACE: '1', ...extra } });
    const shared = affected(branch());
    expect(shared.code, shared.stderr).toBe(0);
    expect(shared.stderr).toContain(`from remote cache ${server.url}`);
    expect(shared.stderr).toContain('graph (updated)');
    expect(shared.json().projects).toEqual(['solo1']);
    // Signed with another key: refused with a warning, the graph is built from every file, the answer is the same.
    const refused = affected(branch(), { TURBO_REMOTE_CACHE_SIGNATURE_KEY: 'key-2' });
    expect(refused.code, refused.stderr).toBe(0);
    expect(refused.stderr).toContain('graph (built)');
    expect(refused.stderr).toContain(`remote cache ${server.url}: the shared graph state is refused (its signature (x-artifact-tag) does not match`);
    expect(refused.stderr).not.toContain(TOKEN);
    expect(refused.json().projects).toEqual(['solo1']);
  });

  it("a fresh clone's kiln run plans from the commit's shared state, with the very task hashes a full scan gives", () => {
    // The state of main's head is on the server (the test above saved it).
    const run = (extra: NodeJS.ProcessEnv = {}) => runKiln(['run', '-t', 'build', '--json'], { cwd: clone(), env: { ...env, KILN_TRACE: '1', ...extra } });
    // Without run bundles: a clean clone of a commit whose bundle has a plan would not plan at all (see below).
    const shared = run({ KILN_REMOTE_CACHE_RUN_BUNDLES: '0' });
    expect(shared.code, shared.stderr).toBe(0);
    expect(shared.stderr).toContain(`shared graph state of ${git(repo.dir, ['rev-parse', 'HEAD']).trim().slice(0, 12)} from remote cache ${server.url}`);
    // Another key refuses the state (and the entries): the graph comes from every source file.
    const scanned = run({ TURBO_REMOTE_CACHE_SIGNATURE_KEY: 'key-2' });
    expect(scanned.code, scanned.stderr).toBe(0);
    expect(scanned.stderr).not.toContain('shared graph state of');
    const hashes = (r: ProcessRun) => Object.fromEntries(r.json<{ tasks: { id: string; hash: string }[] }>().tasks.map((t) => [t.id, t.hash]));
    expect(Object.keys(hashes(shared))).toHaveLength(7);
    expect(hashes(shared)).toEqual(hashes(scanned));
    // Through the plan of the commit's run bundle (a CI run leaves one): not planned, the very same hashes.
    expect(run({ CI: 'true' }).code).toBe(0);
    const viaPlan = run();
    expect(viaPlan.code, viaPlan.stderr).toBe(0);
    expect(viaPlan.stderr).toContain("tasks restored through the run bundle's plan");
    expect(hashes(viaPlan)).toEqual(hashes(scanned));
    // A clone with work-tree changes (an edit, an untracked file, a rename, a staged package.json):
    // the changes since HEAD come from the one git status the run took, and hash as a full scan does.
    const dirty = (extra: NodeJS.ProcessEnv = {}) => {
      const dir = clone();
      writeFileSync(join(dir, 'packages/lib/src/index.ts'), 'export const lib = 2;\n');
      writeFileSync(join(dir, 'packages/app1/src/extra.ts'), "import { lib } from 'lib';\n");
      git(dir, ['mv', 'packages/app2/src/index.ts', 'packages/app2/src/main.ts']);
      writeFileSync(join(dir, 'packages/solo1/package.json'), JSON.stringify({ ...pkg('solo1'), version: '1.0.1' }));
      git(dir, ['add', 'packages/solo1/package.json']);
      return runKiln(['run', '-t', 'build', '--json'], { cwd: dir, env: { ...env, KILN_TRACE: '1', ...extra } });
    };
    const [dirtyShared, dirtyScanned] = [dirty(), dirty({ TURBO_REMOTE_CACHE_SIGNATURE_KEY: 'key-2' })];
    expect(dirtyShared.code, dirtyShared.stderr).toBe(0);
    expect(dirtyShared.stderr).toContain('shared graph state of');
    expect(dirtyScanned.stderr).not.toContain('shared graph state of');
    expect(hashes(dirtyShared)).toEqual(hashes(dirtyScanned));
    for (const id of ['lib:build', 'app1:build', 'app2:build', 'solo1:build']) expect(hashes(dirtyShared)[id]).not.toBe(hashes(shared)[id]);
    expect(hashes(dirtyShared)['solo2:build']).toBe(hashes(shared)['solo2:build']);
  });
});
