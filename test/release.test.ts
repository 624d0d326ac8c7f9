/** End to end: `kiln release` on a real git repository, with the built binary. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from './helpers/repo.js';

describe('kiln release', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo({
      'package.json': { name: 'shop', private: true, workspaces: ['services/*', 'libs/*'] },
      'nx.json': {
        release: { projects: ['*', '!docs'], projectsRelationship: 'independent', releaseTag: { pattern: '{projectName}@{version}' }, version: { conventionalCommits: true } },
      },
      'libs/money/package.json': { name: '@shop/money', version: '1.0.0', main: 'index.js' },
      'libs/money/index.js': 'export const cents = (x) => Math.round(x * 100);\n',
      'services/catalog/package.json': { name: '@shop/catalog', version: '0.4.0', private: true, dependencies: { '@shop/money': '*' } },
      'services/catalog/index.js': 'import { cents } from "@shop/money";\n',
      'services/user/project.json': { name: 'user', version: '2.3.1', projectType: 'application', targets: { build: { command: 'true' } } },
      'services/user/main.py': 'print(1)\n',
      'docs/project.json': { name: 'docs' },
    });
    repo.git('tag', '@shop/catalog@0.4.0');
    repo.commit('fix(money): round half up', { 'libs/money/index.js': 'export const cents = (x) => Math.floor(x * 100 + 0.5);\n' });
    repo.commit('feat(user)!: sessions expire\n\nBREAKING CHANGE: clients must refresh tokens', { 'services/user/main.py': 'print(2)\n' });
    repo.commit('feat(user: oops', { 'services/user/x.py': '\n' });
    repo.commit('feat: a docs page', { 'docs/index.md': '# docs\n' });
  });
  afterAll(() => repo.cleanup());

  it('--dry-run --json prints the plan and writes nothing', () => {
    const r = repo.kiln(['release', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    const out = r.json();
    expect(Object.keys(out.projects)).toEqual(['@shop/catalog', '@shop/money', 'user']);
    expect(out.projects['@shop/money']).toMatchObject({ current: '1.0.0', next: '1.0.1', bump: 'patch', tag: '@shop/money@1.0.1' });
    // catalog: the fix to its dependency counts (0.x: a patch stays a patch).
    expect(out.projects['@shop/catalog']).toMatchObject({ current: '0.4.0', next: '0.4.1', bump: 'patch', dependencyBumps: [{ project: '@shop/money', version: '1.0.1' }] });
    expect(out.projects.user).toMatchObject({ current: '2.3.1', next: '3.0.0', bump: 'major' });
    expect(out.projects.user.commits).toEqual([
      { hash: expect.stringMatching(/^[0-9a-f]{40}$/), type: 'feat', scope: 'user', subject: 'sessions expire', breaking: true, breakingNote: 'clients must refresh tokens', bump: 'major' },
    ]);
    expect(out.skipped).toEqual([{ project: 'user', hash: expect.any(String), message: 'feat(user: oops: the scope is not closed with ")"' }]);
    expect(r.stderr).toContain('user: skipped commit');
    expect(repo.git('status', '--porcelain')).toBe('');
  });

  it('an unknown project is a usage error naming the nearest one', () => {
    const r = repo.kiln(['release', '--dry-run', '-p', 'usr']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('there is no project "usr". Did you mean "user"?');
    expect(repo.kiln(['release', '--dry-run', '-p', 'docs']).stderr).toContain('project "docs" is not a release project');
  });

  it('writes versions, changelogs, a release commit and tags', () => {
    const r = repo.kiln(['release', '--json']);
    expect(r.code).toBe(0);
    expect(r.json().tags).toEqual(['@shop/catalog@0.4.1', '@shop/money@1.0.1', 'user@3.0.0']);
    expect(repo.git('tag', '--points-at', 'HEAD').trim().split('\n')).toEqual(['@shop/catalog@0.4.1', '@shop/money@1.0.1', 'user@3.0.0']);
    expect(JSON.parse(readFileSync(join(repo.dir, 'services/user/project.json'), 'utf8')).version).toBe('3.0.0');
    expect(JSON.parse(readFileSync(join(repo.dir, 'libs/money/package.json'), 'utf8')).version).toBe('1.0.1');
    expect(readFileSync(join(repo.dir, 'services/user/CHANGELOG.md'), 'utf8')).toContain('### Breaking changes\n\n- **user:** clients must refresh tokens (');
    expect(repo.git('log', '-1', '--format=%s').trim()).toBe('chore(release): publish');
    expect(repo.git('status', '--porcelain')).toBe('');
    // Nothing new since the tags: nothing to release.
    const again = repo.kiln(['release', '--dry-run']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('nothing to release');
  });

  it('human output shows each bump and its commits', () => {
    repo.commit('perf(catalog): cache lookups', { 'services/catalog/index.js': 'import { cents } from "@shop/money";\n// cached\n' });
    const r = repo.kiln(['release', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^@shop\/catalog {2}0\.4\.1 → 0\.4\.2 {2}\(patch\)\n {2}[0-9a-f]{7} perf\(catalog\): cache lookups\n$/);
  });
});
