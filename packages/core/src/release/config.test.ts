import { describe, expect, it } from 'vitest';
import { matchProjects, resolveReleaseConfig, type ProjectRef } from './config.js';

const projects: ProjectRef[] = [
  { name: '@sample/catalog', tags: ['type:service'], projectType: 'application' },
  { name: '@sample/connection', tags: ['type:lib'], projectType: 'library' },
  { name: 'user', tags: ['type:service', 'lang:python'], projectType: 'application' },
  { name: 'docs', tags: [], type: 'app' },
];

describe('release config', () => {
  it('matches names, globs, tags and exclusions', () => {
    expect(matchProjects(['*'], projects)).toEqual(['@sample/catalog', '@sample/connection', 'docs', 'user']);
    expect(matchProjects(['@sample/*'], projects)).toEqual(['@sample/catalog', '@sample/connection']);
    expect(matchProjects(['tag:type:service', '!user'], projects)).toEqual(['@sample/catalog']);
  });

  it('reads Nx release settings with defaults', () => {
    const { config, errors } = resolveReleaseConfig(
      { release: { projects: ['tag:type:*'], projectsRelationship: 'independent', releaseTag: { pattern: '{projectName}-v{version}' }, version: { conventionalCommits: true } } },
      projects,
    );
    expect(errors).toEqual([]);
    expect(config.release).toEqual({ projects: ['@sample/catalog', '@sample/connection', 'user'], independent: true, tagPattern: '{projectName}-v{version}', conventionalCommits: true, changelog: true, commit: true, tag: true });
    expect(resolveReleaseConfig({ release: { changelog: { projectChangelogs: false }, git: { commit: false, tag: false } } }, projects).config.release).toMatchObject({ changelog: false, commit: false, tag: false });
    expect(config.artifacts.projects).toEqual(['@sample/catalog', 'user']);
    expect(config.artifacts.outputDir).toBe('dist/artifacts');
    expect(config.artifacts.settings('user')).toEqual({ target: 'build', prefix: 'app', platform: { os: 'linux', architecture: 'amd64' }, container: {} });
    expect(resolveReleaseConfig({}, projects).config.release.tagPattern).toBe('{projectName}@{version}');
    expect(resolveReleaseConfig({ release: { releaseTagPattern: 'x/{projectName}/{version}' } }, projects).config.release.tagPattern).toBe('x/{projectName}/{version}');
  });

  it('layers per-project artifact overrides over the defaults', () => {
    const { config, errors } = resolveReleaseConfig(
      { kiln: { artifacts: { projects: ['user'], prefix: '/srv/', cmd: ['node'], overrides: { user: { path: '{projectRoot}/out', cmd: ['python3', '/srv/user.pyz'], platform: 'linux/arm64/v8' } } }, environments: ['staging', 'production'] } },
      projects,
    );
    expect(errors).toEqual([]);
    expect(config.artifacts.projects).toEqual(['user']);
    expect(config.artifacts.settings('user')).toEqual({
      target: 'build', prefix: 'srv', path: '{projectRoot}/out', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, container: { cmd: ['python3', '/srv/user.pyz'] },
    });
    expect(config.artifacts.settings('@sample/catalog').container).toEqual({ cmd: ['node'] });
    expect(config.environments).toEqual(['staging', 'production']);
  });

  it('collects every problem', () => {
    const { errors } = resolveReleaseConfig(
      { release: { projects: 3, releaseTag: { pattern: 'v{version}' }, version: { conventionalCommits: false } }, kiln: { environments: 'prod', artifacts: { cmd: 'node x' } } },
      projects,
    );
    expect(errors.map((e) => e.code)).toEqual(['invalid-config', 'release-tag-pattern', 'release-needs-conventional-commits', 'invalid-config', 'invalid-config']);
  });
});

import { normaliseSourceUrl } from './source.js';
describe('source URL', () => {
  it.each([
    ['git@github.com:acme/shop.git', 'https://github.com/acme/shop'],
    ['https://x-access-token:abc@github.com/acme/shop.git', 'https://github.com/acme/shop'],
    ['ssh://git@GitLab.example.com:2222/team/shop.git/', 'https://gitlab.example.com/team/shop'],
    ['https://github.com/acme/shop', 'https://github.com/acme/shop'],
    ['/home/me/src/shop', undefined],
    ['../shop', undefined],
    ['C:/src/shop', undefined],
    [undefined, undefined],
  ])('%s → %s', (from, to) => expect(normaliseSourceUrl(from)).toBe(to));
});
