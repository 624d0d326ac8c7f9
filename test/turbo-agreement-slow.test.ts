/**
 * Agreement with turbo (2.x, pinned at the repository root, its native binary run offline: no
 * telemetry, no update check, no remote cache) on a generated turbo repository: the bench
 * generator's workspace with its nx.json removed, so turbo.json alone configures it.
 *
 * - The task graphs of `kiln run -t build` and of `-t check` (each task's direct dependencies, as
 *   `kiln hash` lists them) equal `turbo run TASK --dry=json`'s, the steps turbo keeps for packages
 *   without a `check` script included.
 * - After each of a set of changes, `kiln affected` equals `turbo ls --affected`, apart from the
 *   documented difference: turbo makes every package affected when a workspace package the root
 *   package.json depends on changes (its root propagation); kiln affects that package's dependents.
 * - The tasks that miss turbo's cache after a change (turbo `--dry=json` cache status, against the
 *   cache of a real `turbo run build`) are the tasks kiln reruns.
 * - A second `kiln run -t build` restores everything from cache.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorkspace, kilnRepoRoot } from '../tools/bench/generate.mjs';
import { git, runKiln, start, tempDir, testEnv, type ProcessRun } from './helpers/repo.js';

const turboBin = ['linux-64', 'linux-arm64', 'darwin-64', 'darwin-arm64'].map((p) => join(kilnRepoRoot, 'node_modules/@turbo', p, 'bin/turbo')).find((p) => existsSync(p));
const turboEnv = { TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1', DO_NOT_TRACK: '1', TURBO_SCM_BASE: 'main' };

let dir: string;
let plan: ReturnType<typeof generateWorkspace>;

async function turbo(args: string[]): Promise<ProcessRun> {
  const r = await start(turboBin!, args, { cwd: dir, env: turboEnv }).done;
  if (r.code !== 0) throw new Error(`turbo ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

function kiln(args: string[]): ProcessRun {
  const r = runKiln(args, { cwd: dir });
  if (r.code !== 0) throw new Error(`kiln ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r;
}

const sorted = (list: Iterable<string>) => [...list].sort();
const turboId = (id: string) => id.replace(/#/, ':');

interface DryTask {
  taskId: string;
  dependencies: string[];
  command: string;
  cache: { status: string };
}
const dryRun = async () => (await turbo(['run', 'build', '--dry=json'])).json<{ tasks: DryTask[] }>().tasks;

/** Puts the work tree back to the commit (generated outputs are ignored, so they stay). */
function reset(): void {
  git(dir, ['checkout', '-q', '--', '.']);
  git(dir, ['clean', '-qfd', '--exclude=node_modules']);
}

describe.skipIf(turboBin === undefined)('kiln agrees with turbo on a turbo.json repository', () => {
  beforeAll(() => {
    dir = join(tempDir('kiln-turbo-'), 'ws');
    plan = generateWorkspace({ dir, projects: 12, filesPerProject: [3, 5], seed: 19, codeownersLines: 50 });
    // turbo.json alone configures it; the root package.json depends on the first package (turbo's root propagation).
    rmSync(join(dir, 'nx.json'));
    const rootPkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ ...rootPkg, devDependencies: { [plan.projects[0]!.name]: '*' } }, null, 2)}\n`);
    const turboJson = JSON.parse(readFileSync(join(dir, 'turbo.json'), 'utf8'));
    turboJson.globalEnv = ['BENCH_FLAG'];
    turboJson.tasks.build.env = ['BENCH_API_*'];
    // A second task only some packages have a script for: turbo keeps the others as steps that run nothing.
    turboJson.tasks.check = { dependsOn: ['build', '^check'] };
    for (const p of plan.projects.filter((_, i) => i % 3 === 0)) {
      const file = join(dir, p.dir, 'package.json');
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      writeFileSync(file, `${JSON.stringify({ ...pkg, scripts: { ...pkg.scripts, check: 'node -e ""' } }, null, 2)}\n`);
    }
    writeFileSync(join(dir, 'turbo.json'), `${JSON.stringify(turboJson, null, 2)}\n`);
    // One package configuration: a package whose build caches one more folder.
    const configured = plan.projects[5]!;
    writeFileSync(join(dir, configured.dir, 'turbo.json'), `${JSON.stringify({ extends: ['//'], tasks: { build: { outputs: ['$TURBO_EXTENDS$', 'types/**'] } } }, null, 2)}\n`);
    git(dir, ['add', '-A'], testEnv());
    git(dir, ['commit', '-qm', 'turbo.json only'], testEnv());
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has the task graphs of `turbo run build --dry=json` and `turbo run check --dry=json`', async () => {
    const expected: Record<string, string[]> = {};
    for (const task of ['build', 'check']) {
      const tasks = (await turbo(['run', task, '--dry=json'])).json<{ tasks: DryTask[] }>().tasks;
      for (const t of tasks) expected[turboId(t.taskId)] = sorted(t.dependencies.map(turboId));
      // Packages without the script are in turbo's graph too, as steps that run nothing.
      if (task === 'check') expect(tasks.filter((t) => t.command === '<NONEXISTENT>').length).toBeGreaterThan(0);
    }
    expect(Object.keys(expected)).toHaveLength(2 * plan.projects.length);
    const actual: Record<string, string[]> = {};
    // `kiln hash` names each task's direct dependencies (its fingerprint takes in their hashes).
    const ids = Object.keys(expected);
    await Promise.all(
      [0, 1].map(async (lane) => {
        for (let i = lane; i < ids.length; i += 2) {
          const r = await start(process.execPath, [join(kilnRepoRoot, 'packages/cli/bin/kiln.js'), 'hash', ids[i]!, '--json'], { cwd: dir }).done;
          expect(r.code, r.stderr).toBe(0);
          actual[ids[i]!] = sorted(Object.keys(r.json<{ inputs: { dependencies: Record<string, string> } }>().inputs.dependencies));
        }
      }),
    );
    expect(actual).toEqual(expected);
  }, 60_000);

  it('has the affected sets of `turbo ls --affected`, root propagation aside', async () => {
    const byLayer = (layer: number) => plan.projects.find((p) => p.layer === layer)!;
    const lockfile = readFileSync(join(dir, 'package-lock.json'), 'utf8');
    const scenarios: { name: string; change: () => void; rootPropagation?: boolean }[] = [
      { name: 'a source file of a mid-layer package', change: () => writeFileSync(join(dir, plan.changeTarget.file), '// changed\n', { flag: 'a' }) },
      { name: "a package's README, left out of build's inputs (turbo ls is package-level)", change: () => writeFileSync(join(dir, byLayer(1).dir, 'README.md'), 'changed\n') },
      { name: 'a new untracked file in a top package', change: () => writeFileSync(join(dir, plan.projects.at(-1)!.dir, 'src/new.ts'), 'export {};\n') },
      { name: 'the root README', change: () => writeFileSync(join(dir, 'README.md'), 'changed\n') },
      { name: 'a globalDependencies file', change: () => writeFileSync(join(dir, 'scripts/build.mjs'), '// changed\n', { flag: 'a' }) },
      { name: 'turbo.json', change: () => writeFileSync(join(dir, 'turbo.json'), readFileSync(join(dir, 'turbo.json'), 'utf8').replace('"dist/**"', '"dist/**", "out/**"')) },
      {
        name: "a package's own turbo.json",
        change: () => writeFileSync(join(dir, plan.projects[5]!.dir, 'turbo.json'), JSON.stringify({ extends: ['//'], tasks: { build: { outputs: ['lib/**'] } } })),
      },
      {
        name: 'the root package.json version',
        change: () => writeFileSync(join(dir, 'package.json'), readFileSync(join(dir, 'package.json'), 'utf8').replace('"version": "0.0.0"', '"version": "0.0.1"')),
      },
      // turbo also takes the root package as possibly affected by any lockfile change (ConservativeRootLockfileChanged), and so, here, every package.
      {
        name: 'a locked external version',
        change: () => writeFileSync(join(dir, 'package-lock.json'), lockfile.replace(/"version": "4\.17\.21"/, '"version": "4.17.20"')),
        rootPropagation: true,
      },
      {
        name: 'a package the root package.json depends on',
        change: () => writeFileSync(join(dir, plan.projects[0]!.dir, 'src/index.ts'), '// changed\n', { flag: 'a' }),
        rootPropagation: true,
      },
    ];
    for (const s of scenarios) {
      s.change();
      try {
        const turboSet = sorted((await turbo(['ls', '--affected', '--output=json'])).json<{ packages: { items: { name: string }[] } }>().packages.items.map((i) => i.name));
        const kilnSet = sorted(kiln(['affected', '--base', 'main', '--json']).json<{ projects: string[] }>().projects);
        if (s.rootPropagation) {
          // turbo: every package (RootInternalDepChanged); kiln: the package and its dependents.
          expect(turboSet, s.name).toEqual(sorted(plan.projects.map((p) => p.name)));
          expect(kilnSet.length, s.name).toBeLessThan(turboSet.length);
          const reached = s.name.startsWith('a locked') ? plan.projects.filter((p) => p.externals.includes('lodash')) : [plan.projects[0]!];
          for (const p of reached) expect(kilnSet, s.name).toContain(p.name);
        } else expect(kilnSet, s.name).toEqual(turboSet);
      } finally {
        reset();
      }
    }
  }, 90_000);

  it('reruns the tasks that miss turbo`s cache, and restores everything from its own on a second run', async () => {
    await turbo(['run', 'build', '--concurrency=2', '--output-logs=none']);
    const first = kiln(['run', '-t', 'build', '--parallel', '2', '--json']).json<{ tasks: { id: string; cache: string }[] }>().tasks;
    expect(first.every((t) => t.cache === 'miss')).toBe(true);
    const second = kiln(['run', '-t', 'build', '--parallel', '2', '--json']).json<{ tasks: { id: string; cache: string }[] }>().tasks;
    expect(second.map((t) => `${t.id} ${t.cache}`)).toEqual(first.map((t) => `${t.id} local`));
    expect((await dryRun()).filter((t) => t.cache.status !== 'HIT')).toEqual([]);

    // An edit, an env value in BENCH_API_* and globalEnv: the same tasks miss in both tools.
    const changes: { name: string; env?: Record<string, string>; change?: () => void; misses: boolean }[] = [
      { name: 'a source file', change: () => writeFileSync(join(dir, plan.editTarget.file), '// edit\n', { flag: 'a' }), misses: true },
      { name: 'a spec file, left out of inputs', change: () => writeFileSync(join(dir, plan.projects[3]!.dir, 'src/x.spec.ts'), '// spec\n'), misses: false },
      { name: 'env BENCH_API_URL', env: { BENCH_API_URL: 'x' }, misses: true },
      { name: 'globalEnv BENCH_FLAG', env: { BENCH_FLAG: '1' }, misses: true },
    ];
    for (const c of changes) {
      c.change?.();
      try {
        const turboMisses = sorted(
          (await start(turboBin!, ['run', 'build', '--dry=json'], { cwd: dir, env: { ...turboEnv, ...c.env } }).done)
            .json<{ tasks: DryTask[] }>()
            .tasks.filter((t) => t.cache.status !== 'HIT')
            .map((t) => turboId(t.taskId)),
        );
        const r = runKiln(['run', '-t', 'build', '--parallel', '2', '--json'], { cwd: dir, env: c.env });
        expect(r.code, r.stderr).toBe(0);
        const kilnMisses = sorted(
          r
            .json<{ tasks: { id: string; cache: string }[] }>()
            .tasks.filter((t) => t.cache === 'miss')
            .map((t) => t.id),
        );
        expect(kilnMisses, c.name).toEqual(turboMisses);
        expect(kilnMisses.length > 0, c.name).toBe(c.misses);
      } finally {
        reset();
        // Put kiln's outputs and cache back in step with the commit for the next change.
        runKiln(['run', '-t', 'build', '--parallel', '2'], { cwd: dir });
      }
    }
  }, 90_000);
});
