/**
 * End to end: tasks run the way reproducible-builds.org asks (SOURCE_DATE_EPOCH from the project's
 * last commit, TZ=UTC, umask 022), and a target can opt out.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, git, kilnBin, repoRoot, start, startKiln, tempDir, testEnv, type TempRepo } from './helpers/repo.js';

const show = (cwd: string, options: Record<string, unknown> = {}) => ({
  command: 'echo "$SOURCE_DATE_EPOCH|$TZ|$(umask)" > dist/env.txt',
  options: { cwd, ...options },
  outputs: [`{projectRoot}/dist`],
});

/** Commits everything with a fixed committer time (seconds), the time SOURCE_DATE_EPOCH should carry. */
function commitAt(repo: TempRepo, seconds: number, message: string): void {
  repo.git('add', '-A');
  git(repo.dir, ['commit', '-q', '-m', message], testEnv({}, seconds));
}

/** `kiln run -t show` under umask 077 and another time zone, as a careless machine would. */
async function runShow(repo: TempRepo, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const r = await start('sh', ['-c', 'umask 077; exec "$0" "$@"', process.execPath, kilnBin, 'run', '-t', 'show', '--skip-cache'], {
    cwd: repo.dir,
    env: { TZ: 'Asia/Kathmandu', ...env },
  }).done;
  expect(r.code, r.stderr + r.stdout).toBe(0);
}

describe('reproducible task environment', () => {
  let repo: TempRepo;
  const read = (project: string) => readFileSync(join(repo.dir, project, 'dist/env.txt'), 'utf8').trim();
  beforeAll(() => {
    repo = createRepo(
      {
        '.gitignore': 'dist/\n.kiln/\n',
        'package.json': { name: 'ws', private: true },
        'nx.json': {},
        'a/project.json': { name: 'a', targets: { show: show('a') } },
        'a/dist/.keep': '',
        'b/project.json': { name: 'b', targets: { show: show('b') } },
        'b/dist/.keep': '',
        'c/project.json': { name: 'c', targets: { show: show('c', { kiln: { reproducible: false } }) } },
        'c/dist/.keep': '',
      },
      { commit: false },
    );
    commitAt(repo, 1_000_000_000, 'first');
    repo.write({ 'b/notes.txt': 'b changes later\n' });
    commitAt(repo, 1_100_000_000, 'second');
  });
  afterAll(() => repo.cleanup());

  it("sets SOURCE_DATE_EPOCH to the time of the project's last commit, TZ=UTC and umask 022", async () => {
    await runShow(repo);
    expect(read('a')).toBe('1000000000|UTC|0022');
    expect(read('b')).toBe('1100000000|UTC|0022');
  });

  it('leaves a target that opts out as it was', async () => {
    await runShow(repo);
    expect(read('c')).toBe('|Asia/Kathmandu|0077');
  });

  it('lets a SOURCE_DATE_EPOCH from the environment win', async () => {
    await runShow(repo, { SOURCE_DATE_EPOCH: '1234' });
    expect(read('a')).toBe('1234|UTC|0022');
  });
});

/** This repository's sample system (services/, nx.json, tsconfig.base.json) as files of a new workspace. */
function sampleSystem(): Record<string, string> {
  const files: Record<string, string> = {
    '.gitignore': 'node_modules/\ndist/\n.kiln/\n__pycache__/\n*.tsbuildinfo\n',
    'package.json': `${JSON.stringify({ name: 'sample', private: true, type: 'module', workspaces: ['services/*'] }, null, 2)}\n`,
  };
  const tracked = git(repoRoot, ['ls-files', '-z', 'services', 'nx.json', 'tsconfig.base.json']).split('\0').filter(Boolean);
  for (const path of tracked) files[path] = readFileSync(join(repoRoot, path), 'utf8');
  return files;
}

/** node_modules for the sample: TypeScript from this repository, the workspace packages linked as npm links them. */
function installSample(dir: string): void {
  mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
  mkdirSync(join(dir, 'node_modules/@sample'), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules/typescript'), join(dir, 'node_modules/typescript'));
  symlinkSync('../typescript/bin/tsc', join(dir, 'node_modules/.bin/tsc'));
  for (const name of ['catalog', 'connection', 'invoice', 'payroll']) symlinkSync(`../../services/${name}`, join(dir, 'node_modules/@sample', name));
}

/** Sets every file's and folder's times below `dir` (but .git and node_modules) to `time(i)` for the i-th path. */
function setTimes(dir: string, time: (i: number) => number): void {
  let i = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git' || e.name === 'node_modules') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      const t = time(i++);
      utimesSync(p, t, t);
    }
  };
  walk(dir);
}

interface Packed {
  project: string;
  version: string;
  digest: string;
}

describe('the sample system', () => {
  let origin: TempRepo;
  let sampleDigests: string[] = [];
  beforeAll(() => {
    origin = createRepo(sampleSystem());
  });
  afterAll(() => origin.cleanup());

  /** A clone of the sample in a new place, its files dated by `time`. */
  const cloneAt = (path: string[], time: (i: number) => number): string => {
    const place = tempDir('kiln-sample-');
    const dir = join(place, ...path);
    git(place, ['clone', '-q', origin.dir, dir]);
    installSample(dir);
    setTimes(dir, time);
    return dir;
  };

  it('packs every service to the same digest from two clones whose files have other times, in other directories', { timeout: 300_000 }, async () => {
    const first = cloneAt(['a'], () => 1_000_000_000);
    const second = cloneAt(['deeper', 'elsewhere', 'b'], (i) => 1_900_000_000 + 7919 * i);
    const digests: string[][] = [];
    for (const dir of [first, second]) {
      const r = await startKiln(['artifact', '--json'], { cwd: dir }).done;
      expect(r.code, r.stderr).toBe(0);
      digests.push(
        r
          .json<{ artifacts: Packed[] }>()
          .artifacts.map((a) => [a.project, a.version, a.digest])
          .flat(),
      );
    }
    expect(digests[0]!.filter((_, i) => i % 3 === 0)).toEqual(['catalog', 'invoice', 'payroll', 'user']);
    expect(digests[1]).toEqual(digests[0]);
    sampleDigests = digests[0]!.filter((_, i) => i % 3 === 2);
  });

  it('passes --check-reproducible, with the digests kiln artifact gives', { timeout: 300_000 }, async () => {
    const dir = cloneAt(['check'], () => 1_500_000_000);
    const r = await startKiln(['artifact', '--check-reproducible', '--json'], { cwd: dir }).done;
    expect(r.code, r.stderr).toBe(0);
    const { results } = r.json<{ results: { project: string; reproducible: boolean; digests: string[]; differences: unknown[] }[] }>();
    expect(results.map((x) => [x.project, x.reproducible, x.differences])).toEqual(['catalog', 'invoice', 'payroll', 'user'].map((p) => [p, true, []]));
    expect(results.map((x) => x.digests[0])).toEqual(sampleDigests);
    // It built elsewhere: nothing of the check is left in the workspace.
    expect(existsSync(join(dir, 'dist'))).toBe(false);
  });
});

describe('--check-reproducible on builds that are not reproducible', () => {
  let repo: TempRepo;
  const service = (name: string, build: string) => ({
    [`services/${name}/project.json`]: {
      name,
      projectType: 'application',
      targets: { build: { command: build, options: { cwd: `services/${name}` }, outputs: ['{projectRoot}/dist'] } },
    },
  });
  beforeAll(() => {
    repo = createRepo({
      '.gitignore': 'dist/\n.kiln/\n__pycache__/\n',
      'package.json': { name: 'ws', private: true },
      'nx.json': { kiln: { artifacts: { projects: ['steady', 'stamped', 'zipped'] } } },
      ...service('steady', 'mkdir -p dist && cp src/* dist/'),
      'services/steady/src/index.js': 'console.log("steady");\n',
      ...service('stamped', `mkdir -p dist && cp src/* dist/ && node -e "console.log('built ' + new Date().toISOString())" > dist/build-info.txt`),
      'services/stamped/src/index.js': 'console.log("stamped");\n',
      // The sample's old Python build: zipapp writes each file's time into the archive.
      ...service('zipped', "mkdir -p dist && python3 -m zipapp src -o dist/app.pyz -m app.main:main -p '/usr/bin/env python3'"),
      'services/zipped/src/app/__init__.py': '',
      'services/zipped/src/app/main.py': 'def main():\n    print("zipped")\n',
    });
  });
  afterAll(() => repo.cleanup());

  it('fails, naming the file that differs with its first differing bytes, and the zip members whose times differ', { timeout: 120_000 }, async () => {
    const r = await startKiln(['artifact', '--check-reproducible'], { cwd: repo.dir }).done;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('✔ steady is reproducible');
    expect(r.stdout).toMatch(/✘ stamped is not reproducible: sha256:\w+ ≠ sha256:\w+\n {4}app\/build-info\.txt: first difference at byte \d+: "[^"]+" ≠ "[^"]+"/);
    expect(r.stdout).toContain('✘ zipped is not reproducible');
    // The first checkout's files are dated 1,000,000,000 s; zipapp writes them (in UTC, which kiln sets).
    expect(r.stdout).toMatch(/\n {4}app\/app\.pyz: member app\/__init__\.py: time 2001-09-09 01:46:40 ≠ \d{4}-\d\d-\d\d [\d:]+\n/);
  });

  it('--json gives the same', { timeout: 120_000 }, async () => {
    const r = await startKiln(['artifact', '--check-reproducible', '-p', 'stamped,steady', '--json'], { cwd: repo.dir }).done;
    expect(r.code, r.stderr).toBe(1);
    const { results } = r.json<{ results: { project: string; reproducible: boolean; differences: { path: string; kind: string; offset?: number }[] }[] }>();
    expect(results.map((x) => [x.project, x.reproducible])).toEqual([
      ['stamped', false],
      ['steady', true],
    ]);
    expect(results[0]!.differences).toEqual([expect.objectContaining({ path: 'app/build-info.txt', kind: 'content', offset: expect.any(Number) })]);
  });

  it("checks HEAD plus the work tree's changes: an edited file and an untracked one are in both builds", { timeout: 120_000 }, async () => {
    repo.write({ 'services/steady/src/index.js': 'console.log("edited");\n', 'services/steady/src/extra.js': 'export {};\n' });
    try {
      const check = await startKiln(['artifact', '--check-reproducible', '-p', 'steady', '--json'], { cwd: repo.dir }).done;
      expect(check.code, check.stderr).toBe(0);
      const packed = repo.kiln(['artifact', '-p', 'steady', '--json']);
      expect(packed.code, packed.stderr).toBe(0);
      const [result] = check.json<{ results: { digests: string[] }[] }>().results;
      expect(result!.digests).toEqual([packed.json().artifacts[0].digest, packed.json().artifacts[0].digest]);
      const listing = execFileSync('tar', ['-tzf', join(repo.dir, 'dist/artifacts/steady-0.0.0.tar.gz')], { encoding: 'utf8' });
      expect(listing).toContain('app/extra.js');
    } finally {
      repo.git('checkout', '--', 'services/steady/src/index.js');
      rmSync(join(repo.dir, 'services/steady/src/extra.js'));
    }
  });
});
