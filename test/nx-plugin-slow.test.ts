/**
 * @kiln/nx-plugin inside a real Nx workspace (the nx pinned in package.json): the plugin is
 * registered in nx.json, `nx show project` shows its targets, `nx run svc:artifact` produces the
 * artifact `kiln artifact` produces (same digest), `nx run svc:promote` records it, and
 * `nx run shop:owners-check` fails on a
 * missing approval and on a lint finding and passes otherwise.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkNodeModules, runNx } from './helpers/nx.js';
import { createRepo, type TempRepo } from './helpers/repo.js';

const build = "import { cpSync, rmSync } from 'node:fs';\nrmSync('dist', { recursive: true, force: true });\ncpSync('src', 'dist', { recursive: true });\n";
const pkg = (name: string, deps: Record<string, string> = {}) => ({ name, version: '1.0.0', private: true, scripts: { build: 'node ../../tools/build.mjs' }, dependencies: deps });

interface ShownProject {
  name: string;
  targets: Record<string, { executor?: string; cache?: boolean }>;
}

describe('@kiln/nx-plugin in a real Nx workspace', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo({
      '.gitignore': 'node_modules/\ndist/\n.kiln/\n.nx/\n',
      'package.json': { name: 'shop', private: true, workspaces: ['services/*', 'libs/*'] },
      // Nx's root project, which holds owners-check.
      'project.json': { name: 'shop' },
      'nx.json': {
        plugins: ['@kiln/nx-plugin'],
        targetDefaults: { build: { dependsOn: ['^build'], inputs: ['{projectRoot}/src/**/*'], outputs: ['{projectRoot}/dist'], cache: true } },
        release: { projectsRelationship: 'independent', releaseTag: { pattern: '{projectName}@{version}' } },
        kiln: { artifacts: { projects: ['svc'] } },
      },
      CODEOWNERS: '* @org/platform\n/services/svc/ @alice\n',
      'tools/build.mjs': build,
      'libs/money/package.json': pkg('money'),
      'libs/money/src/index.js': 'export const cents = (x) => Math.round(x * 100);\n',
      'services/svc/package.json': pkg('svc', { money: '*' }),
      'services/svc/src/index.js': "import 'money';\nconsole.log('svc');\n",
    });
    linkNodeModules(repo);
  });
  afterAll(() => repo.cleanup());

  it('nx show project: services get artifact and promote, the root project owners-check', async () => {
    const svc = await runNx(repo, ['show', 'project', 'svc', '--json']);
    expect(svc.code, svc.stderr).toBe(0);
    const targets = svc.json<ShownProject>().targets;
    expect(targets.artifact).toMatchObject({ executor: '@kiln/nx-plugin:artifact', cache: false });
    expect(targets.promote).toMatchObject({ executor: '@kiln/nx-plugin:promote', cache: false });
    expect(targets['owners-check']).toBeUndefined();
    const money = (await runNx(repo, ['show', 'project', 'money', '--json'])).json<ShownProject>();
    expect(Object.keys(money.targets)).not.toContain('artifact');
    const root = (await runNx(repo, ['show', 'project', 'shop', '--json'])).json<ShownProject>();
    expect(root.targets['owners-check']).toMatchObject({ executor: '@kiln/nx-plugin:owners-check', cache: false });
  });

  it('nx run svc:artifact packs the artifact kiln artifact packs', async () => {
    const nx = await runNx(repo, ['run', 'svc:artifact']);
    expect(nx.code, nx.stdout + nx.stderr).toBe(0);
    const printed = /svc@1\.0\.0 {2}(sha256:[0-9a-f]{64}) {2}dist\/artifacts\/svc-1\.0\.0/.exec(nx.stdout);
    expect(printed, nx.stdout).not.toBeNull();
    const index = JSON.parse(readFileSync(join(repo.dir, 'dist/artifacts/artifacts.json'), 'utf8')) as
      { artifacts?: { project: string; digest: string }[] } | { project: string; digest: string }[];
    const records = Array.isArray(index) ? index : (index.artifacts ?? []);
    expect(records.find((r) => r.project === 'svc')?.digest).toBe(printed![1]);
    const kiln = repo.kiln(['artifact', '-p', 'svc', '--json']);
    expect(kiln.code, kiln.stderr).toBe(0);
    expect(kiln.json<{ artifacts: { project: string; digest: string }[] }>().artifacts).toEqual([expect.objectContaining({ project: 'svc', digest: printed![1] })]);
    // promote records that digest, at the package.json version, never rebuilding.
    const promote = await runNx(repo, ['run', 'svc:promote', '--to=staging']);
    expect(promote.code, promote.stdout + promote.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(repo.dir, 'environments/staging.json'), 'utf8'))).toMatchObject({ svc: { version: '1.0.0', digest: printed![1] } });
    const never = await runNx(repo, ['run', 'svc:promote', '--to=staging', '--artifactVersion=9.9.9']);
    expect(never.code).not.toBe(0);
    expect(never.stdout + never.stderr).toMatch(/svc@9\.9\.9/);
  });

  it('nx run shop:owners-check fails on a missing approval or a lint finding, and passes otherwise', async () => {
    repo.git('checkout', '-q', '-b', 'change');
    repo.commit('feat: svc says more', { 'services/svc/src/index.js': "import 'money';\nconsole.log('svc', 2);\n" });
    const missing = await runNx(repo, ['run', 'shop:owners-check']);
    expect(missing.code).not.toBe(0);
    expect(missing.stdout + missing.stderr).toContain('missing approval: one of @alice for services/svc/src/index.js');
    const approved = await runNx(repo, ['run', 'shop:owners-check', '--approvedBy=@alice', '--approvedBy=@org/platform']);
    expect(approved.code, approved.stdout + approved.stderr).toBe(0);
    expect(approved.stdout).toContain('All required code owner approvals are in.');
    // A lint finding fails the target even with every approval in.
    repo.commit('chore: a bad owner', { CODEOWNERS: '* @org/platform\n/services/svc/ @alice\n/libs/ not-an-owner\n' });
    const lint = await runNx(repo, ['run', 'shop:owners-check', '--approvedBy=@alice', '--approvedBy=@org/platform']);
    expect(lint.code).not.toBe(0);
    expect(lint.stdout + lint.stderr).toMatch(/CODEOWNERS:3:\d+: .*not-an-owner/);
  });
});
