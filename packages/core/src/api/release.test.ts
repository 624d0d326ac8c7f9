import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, cpSync, utimesSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from '../../../../test/helpers/repo.js';
import { artifactIn, type BuildStep } from './artifact.js';
import { promoteIn } from './promote.js';
import type { ReleaseContext } from '../release/index.js';
import { releaseIn } from './release.js';

const projects = [
  { name: 'catalog', root: 'services/catalog', tags: [], projectType: 'application' as const, dependencies: ['shared'], targets: { build: { outputs: ['{projectRoot}/dist'] } } },
  { name: 'shared', root: 'libs/shared', tags: [], projectType: 'library' as const, dependencies: [], targets: { build: { outputs: ['{projectRoot}/dist'] } } },
  { name: 'user', root: 'services/user', tags: [], projectType: 'application' as const, dependencies: [], targets: { build: { outputs: ['{projectRoot}/dist'] } } },
];
const files = {
  'nx.json': { release: { projectsRelationship: 'independent', releaseTag: { pattern: '{projectName}@{version}' }, version: { conventionalCommits: true } }, kiln: { environments: ['staging', 'production'] } },
  'services/catalog/package.json': '{\n    "name": "catalog",\n    "version": "1.4.0",\n    "private": true\n}\n',
  'services/catalog/src/index.js': 'export const catalog = 1;\n',
  'libs/shared/package.json': { name: 'shared', version: '0.2.0' },
  'libs/shared/src/index.js': 'export const shared = 1;\n',
  'services/user/project.json': { name: 'user', version: '2.0.0' },
  'services/user/src/main.py': 'print("hi")\n',
};
const context = (repo: TempRepo, nxJson?: Record<string, unknown>): ReleaseContext => ({
  root: repo.dir,
  nxJson: nxJson ?? JSON.parse(readFileSync(join(repo.dir, 'nx.json'), 'utf8')),
  projects,
});

describe('release on a real repository', () => {
  const repo = createRepo(files);
  afterAll(() => repo.cleanup());

  it('plans from manifests when there are no tags, with dependents and notes', async () => {
    repo.commit('feat(shared): money type', { 'libs/shared/src/money.js': 'export {}\n' });
    repo.commit('fix: user crash', { 'services/user/src/main.py': 'print("hello")\n' });
    repo.commit('feat(oops: broken header', { 'services/user/src/x.py': '\n' });
    repo.commit('docs: readme', { 'README.md': 'hi\n' });
    const r = await releaseIn(context(repo), { dryRun: true });
    expect(Object.fromEntries(Object.entries(r.projects).map(([n, p]) => [n, `${p.current}→${p.next} ${p.bump} ${p.tag}`]))).toEqual({
      catalog: '1.4.0→1.5.0 minor catalog@1.5.0',
      shared: '0.2.0→0.2.1 patch shared@0.2.1',
      user: '2.0.0→2.0.1 patch user@2.0.1',
    });
    // catalog's minor comes from the commit to its dependency's files.
    expect(r.projects.catalog!.commits.map((c) => c.subject)).toEqual(['money type']);
    expect(r.skipped.map((s) => s.message)).toEqual(['feat(oops: broken header: the scope is not closed with ")"']);
    expect(r.written).toEqual([]);
    expect(repo.git('tag')).toBe('');
  });

  it('writes versions (keeping the file’s formatting), changelogs, one commit and a tag per project', async () => {
    const r = await releaseIn(context(repo), {});
    expect(r.written).toEqual([
      'libs/shared/CHANGELOG.md',
      'libs/shared/package.json',
      'services/catalog/CHANGELOG.md',
      'services/catalog/package.json',
      'services/user/CHANGELOG.md',
      'services/user/project.json',
    ]);
    expect(readFileSync(join(repo.dir, 'services/catalog/package.json'), 'utf8')).toBe('{\n    "name": "catalog",\n    "version": "1.5.0",\n    "private": true\n}\n');
    expect(JSON.parse(readFileSync(join(repo.dir, 'services/user/project.json'), 'utf8')).version).toBe('2.0.1');
    const changelog = readFileSync(join(repo.dir, 'services/catalog/CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(/^# Changelog\n\n## 1\.5\.0 \(\d{4}-\d\d-\d\d\)\n\n### Features\n\n- \*\*shared:\*\* money type \([0-9a-f]{7}\)\n\n### Dependencies\n\n- shared updated to 0\.2\.1\n$/);
    expect(repo.git('log', '-1', '--format=%B').trim()).toBe('chore(release): publish\n\n- catalog@1.5.0\n- shared@0.2.1\n- user@2.0.1');
    expect(repo.git('tag').trim().split('\n')).toEqual(['catalog@1.5.0', 'shared@0.2.1', 'user@2.0.1']);
    expect(repo.git('status', '--porcelain')).toBe('');
  });

  it('counts only commits since the last tag, and the tag wins over the manifest', async () => {
    expect(Object.keys((await releaseIn(context(repo), { dryRun: true })).projects)).toEqual([]);
    repo.commit('feat!: new ids', { 'services/catalog/src/index.js': 'export const catalog = 2;\n' });
    // The manifest says otherwise; the tag decides.
    repo.commit('chore: manifest drift', { 'services/catalog/package.json': { name: 'catalog', version: '9.9.9' } });
    const r = await releaseIn(context(repo), { dryRun: true });
    expect(Object.keys(r.projects)).toEqual(['catalog']);
    expect(r.projects.catalog).toMatchObject({ current: '1.5.0', next: '2.0.0', bump: 'major' });
  });

  it('honours -p, the skip flags, and names the nearest project for a typo', async () => {
    const r = await releaseIn(context(repo), { projects: ['catalog'], skipCommit: true, skipTags: true, skipChangelog: true });
    expect(r.written).toEqual(['services/catalog/package.json']);
    expect(r.commit).toBeNull();
    expect(repo.git('tag').trim().split('\n')).not.toContain('catalog@2.0.0');
    await expect(releaseIn(context(repo), { projects: ['catalgo'], dryRun: true })).rejects.toThrow(/no project "catalgo". Did you mean "catalog"\?/);
  });
});

/** A build step standing in for the task runner: copies src/ to dist/, marks one file executable. */
const copyBuild =
  (root: string, calls: string[][]): BuildStep =>
  async (names) => {
    calls.push([...names]);
    const out = new Map<string, { hash: string; status: string }>();
    for (const n of names) {
      const p = projects.find((x) => x.name === n)!;
      mkdirSync(join(root, p.root, 'dist'), { recursive: true });
      cpSync(join(root, p.root, 'src'), join(root, p.root, 'dist'), { recursive: true });
      writeFileSync(join(root, p.root, 'dist', 'start.sh'), '#!/bin/sh\n');
      chmodSync(join(root, p.root, 'dist', 'start.sh'), 0o755);
      out.set(n, { hash: `hash-of-${n}`, status: 'success' });
    }
    return out;
  };

describe('artifacts', () => {
  const a = createRepo(files);
  afterAll(() => a.cleanup());

  it('are byte-identical from two clones in different directories with different file times', async () => {
    const b = createRepo({}, { init: false });
    execFileSync('git', ['clone', '-q', a.dir, b.dir + '/clone']);
    const bRoot = join(b.dir, 'clone');
    // Make every file in the second clone look years older.
    const touch = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.name === '.git') continue;
        const p = join(dir, e.name);
        if (e.isDirectory()) touch(p);
        utimesSync(p, 1_000_000_000, 1_000_000_000);
      }
    };
    touch(bRoot);
    const calls: string[][] = [];
    const ra = await artifactIn(context(a), { build: copyBuild(a.dir, calls) });
    const rb = await artifactIn({ ...context(a), root: bRoot }, { build: copyBuild(bRoot, calls) });
    expect(calls).toEqual([['catalog', 'user'], ['catalog', 'user']]);
    expect(ra.artifacts.map((x) => [x.project, x.version, x.path])).toEqual([
      ['catalog', '1.4.0', 'dist/artifacts/catalog-1.4.0'],
      ['user', '2.0.0', 'dist/artifacts/user-2.0.0'],
    ]);
    expect(rb.artifacts).toEqual(ra.artifacts);
    for (const f of ['catalog-1.4.0.tar.gz', 'catalog-1.4.0/index.json', 'user-2.0.0.tar.gz'])
      expect(readFileSync(join(bRoot, 'dist/artifacts', f)).equals(readFileSync(join(a.dir, 'dist/artifacts', f)))).toBe(true);
    const index = JSON.parse(readFileSync(join(a.dir, 'dist/artifacts/artifacts.json'), 'utf8'));
    expect(index.artifacts[0]).toMatchObject({ project: 'catalog', version: '1.4.0', inputHash: 'hash-of-catalog', packages: { catalog: '1.4.0', shared: '0.2.0' }, revision: a.git('rev-parse', 'HEAD').trim() });
    b.cleanup();
  });

  it('fails naming the project and path when the build output is missing', async () => {
    execFileSync('rm', ['-rf', join(a.dir, 'services/user/dist')]);
    await expect(artifactIn(context(a), { projects: ['user'], build: async () => new Map([['user', { hash: 'h', status: 'success' }]]) })).rejects.toThrow(
      'project "user": its build output services/user/dist does not exist after building user:build.',
    );
  });

  it('are promoted only when built, and to production only through staging', async () => {
    const ctx = context(a);
    const digest = JSON.parse(readFileSync(join(a.dir, 'dist/artifacts/artifacts.json'), 'utf8')).artifacts[0].digest;
    await expect(promoteIn(ctx, 'catalog@1.5.0', 'staging')).rejects.toThrow(/catalog@1.5.0 was never built/);
    await expect(promoteIn(ctx, 'catalog@1.4.0', 'production')).rejects.toThrow(/is not in "staging", which must come before "production"/);
    expect(await promoteIn(ctx, 'catalog@1.4.0', 'staging')).toEqual({ project: 'catalog', version: '1.4.0', digest, environment: 'staging', file: 'environments/staging.json' });
    await promoteIn(ctx, 'catalog@1.4.0', 'production');
    expect(JSON.parse(readFileSync(join(a.dir, 'environments/production.json'), 'utf8'))).toEqual({ catalog: { version: '1.4.0', digest } });
    expect(existsSync(join(a.dir, 'environments/staging.json'))).toBe(true);
  });
});
