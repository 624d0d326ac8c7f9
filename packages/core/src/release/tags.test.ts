import { describe, expect, it } from 'vitest';
import { formatSemVer } from './semver.js';
import { formatTag, latestTag, parseTag, tagClashes } from './tags.js';

describe('release tags', () => {
  it.each([
    ['{projectName}@{version}', 'catalog', '1.2.3', 'catalog@1.2.3'],
    ['{projectName}@{version}', '@shop/shared', '0.1.0', '@shop/shared@0.1.0'],
    ['v{version}', 'catalog', '1.2.3', 'v1.2.3'],
    ['{projectName}-v{version}', 'user', '2.0.0-rc.1', 'user-v2.0.0-rc.1'],
    ['release/{projectName}/{version}', 'payroll', '3.0.0', 'release/payroll/3.0.0'],
  ])('%s for %s %s is %s and parses back', (pattern, name, version, tag) => {
    expect(formatTag(pattern, { projectName: name, version })).toBe(tag);
    expect(formatSemVer(parseTag(pattern, name, tag)!)).toBe(version);
  });

  it('does not take another project’s tag or a non-version', () => {
    expect(parseTag('{projectName}@{version}', 'user', 'user-admin@1.0.0')).toBeUndefined();
    expect(parseTag('{projectName}@{version}', 'user', 'user@latest')).toBeUndefined();
    expect(parseTag('{projectName}@{version}', 'a.b', 'axb@1.0.0')).toBeUndefined();
  });

  it('picks the highest version, not the last listed', () => {
    const tags = ['user@1.10.0', 'user@1.9.0', 'catalog@5.0.0', 'user@2.0.0-beta.1', 'user@1.2.0'];
    expect(latestTag('{projectName}@{version}', 'user', tags)).toMatchObject({ tag: 'user@2.0.0-beta.1' });
    expect(latestTag('{projectName}@{version}', 'invoice', tags)).toBeUndefined();
  });

  it('reports each planned tag that exists already, and only those', () => {
    const clashes = tagClashes(['user@1.1.0', 'catalog@2.0.0', 'shared@0.3.0'], ['catalog@2.0.0', 'user@1.0.0', 'shared@0.3.0']);
    expect(clashes.map((d) => [d.code, d.message])).toEqual([
      ['release-tag-exists', 'tag "catalog@2.0.0" already exists.'],
      ['release-tag-exists', 'tag "shared@0.3.0" already exists.'],
    ]);
    expect(tagClashes(['user@1.1.0'], [])).toEqual([]);
  });
});
