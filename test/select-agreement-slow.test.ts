/**
 * Agreement with the references: on one workspace (nested folders, tags, scoped names, exclusions),
 * `kiln projects -p … --exclude …` lists exactly what `nx show projects --projects … --exclude …`
 * lists, and `kiln projects --filter …` exactly what `turbo ls --filter …` lists, `[REF]` included
 * (a change on a branch). Both real tools run from this repository's node_modules: nx without its
 * daemon or cloud, turbo without telemetry.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedNpmVersion } from '../tools/bench/generate.mjs';
import { linkNodeModules, runNx } from './helpers/nx.js';
import { createRepo, repoRoot, start, type TempRepo } from './helpers/repo.js';
import { selectWorkspace } from './helpers/select-workspace.js';

const turboBin = ['linux-64', 'linux-arm64', 'darwin-64', 'darwin-arm64'].map((p) => join(repoRoot, 'node_modules/@turbo', p, 'bin/turbo')).find((p) => existsSync(p));
const turboEnv = { TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1', DO_NOT_TRACK: '1' };

/** Nx forms: [--projects patterns, --exclude patterns]. */
const NX_CASES: readonly [string[], string[]][] = [
  [['app-*', '@org/*'], []],
  [['tag:scope:*', '!tag:type:e2e'], []],
  [['services/*', 'libs/shared/*'], []],
  [['services/**'], []],
  [['utils'], []],
  [['!tag:type:lib', 'ui'], []],
  [['directory:libs/**', 'foo:api'], []],
  [['app-*'], ['*-e2e']],
  [['tag:type:lib'], ['shared-*', 'utils']],
  [['*'], ['tag:scope:shared', 'services/**']],
];

/** turbo forms: the --filter values of one call. */
const TURBO_CASES: readonly string[][] = [
  ['app-web', '@org/*'],
  ['...ui', '!app-web-e2e'],
  ['app-web...'],
  ['...^ui', 'app-admin^...'],
  ['./services/*', '{./libs/*}'],
  ['./libs/ui', '*-e2e'],
  ['!./apps/*'],
  ['[main]'],
  ['...[main]'],
  ['...^[main]', '{./apps/*}[main]'],
];

let repo: TempRepo;
beforeAll(() => {
  repo = createRepo(selectWorkspace(installedNpmVersion()));
  linkNodeModules(repo, 'nx');
  // A change on a branch for [main]: one file of libs/ui.
  repo.git('checkout', '-q', '-b', 'feature');
  repo.commit('change ui', { 'libs/ui/src/index.js': 'export const name = "ui"; // changed\n' });
});
afterAll(() => repo?.cleanup());

const sorted = (list: readonly string[]): string[] => [...list].sort();

async function kilnProjects(args: string[]): Promise<string[]> {
  const r = await repo.startKiln(['projects', ...args, '--json']).done;
  expect(r.code, r.stderr).toBe(0);
  return sorted(r.json<{ name: string }[]>().map((p) => p.name));
}

describe('kiln selects what nx show projects selects', () => {
  for (const [projects, exclude] of NX_CASES) {
    it(`--projects ${projects.join(',')}${exclude.length ? ` --exclude ${exclude.join(',')}` : ''}`, async () => {
      const nx = await runNx(repo, ['show', 'projects', `--projects=${projects.join(',')}`, ...(exclude.length ? [`--exclude=${exclude.join(',')}`] : []), '--json']);
      expect(nx.code, nx.stderr).toBe(0);
      const expected = sorted(JSON.parse(nx.stdout) as string[]);
      const actual = await kilnProjects([...projects.flatMap((p) => ['-p', p]), ...exclude.flatMap((p) => ['--exclude', p])]);
      expect(actual).toEqual(expected);
    }, 60_000);
  }
});

describe.skipIf(turboBin === undefined)('kiln selects what turbo ls --filter selects', () => {
  for (const filters of TURBO_CASES) {
    it(`--filter ${filters.join(' --filter ')}`, async () => {
      const turbo = await start(turboBin!, ['ls', ...filters.map((f) => `--filter=${f}`), '--output=json'], { cwd: repo.dir, env: turboEnv }).done;
      expect(turbo.code, turbo.stderr).toBe(0);
      const expected = sorted((JSON.parse(turbo.stdout) as { packages: { items: { name: string }[] } }).packages.items.map((i) => i.name));
      const actual = await kilnProjects(filters.flatMap((f) => ['--filter', f]));
      expect(actual).toEqual(expected);
    }, 60_000);
  }

  it('fails on a name no package has, as turbo does (kiln with the nearest name)', async () => {
    const turbo = await start(turboBin!, ['ls', '--filter=utils', '--output=json'], { cwd: repo.dir, env: turboEnv }).done;
    expect(turbo.code).not.toBe(0);
    expect(turbo.stderr).toContain("No package found with name 'utils'");
    const r = await repo.startKiln(['projects', '--filter', 'utils', '--json']).done;
    expect(r.code).toBe(2);
    expect(r.json()).toMatchObject({ error: { code: 'unknown-project', message: expect.stringContaining('no project is named "utils"') } });
  }, 60_000);
});
