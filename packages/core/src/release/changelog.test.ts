import { describe, expect, it } from 'vitest';
import { prependChangelog, renderChangelogEntry } from './changelog.js';
import { planRelease } from './plan.js';
import { parseSemVer } from './semver.js';

describe('changelog', () => {
  const plan = planRelease([
    {
      name: 'catalog',
      current: parseSemVer('1.0.0')!,
      dependencies: ['shared'],
      commits: [
        { hash: 'a'.repeat(40), message: 'feat(search): fuzzy matching' },
        { hash: 'b'.repeat(40), message: 'fix: price rounding\n\nBREAKING CHANGE: prices are integers (cents)' },
        { hash: 'c'.repeat(40), message: 'perf: index by sku' },
        { hash: 'd'.repeat(40), message: 'chore: lint' },
      ],
    },
    { name: 'shared', current: parseSemVer('0.2.0')!, dependencies: [], commits: [{ hash: 'e'.repeat(40), message: 'fix: x' }] },
  ]);

  it('groups breaking changes, features, fixes, performance and dependencies', () => {
    expect(renderChangelogEntry(plan.projects.catalog!, '2026-11-23')).toBe(
      [
        '## 2.0.0 (2026-11-23)',
        '',
        '### Breaking changes',
        '',
        '- prices are integers (cents) (bbbbbbb)',
        '',
        '### Features',
        '',
        '- **search:** fuzzy matching (aaaaaaa)',
        '',
        '### Fixes',
        '',
        '- price rounding (bbbbbbb)',
        '',
        '### Performance',
        '',
        '- index by sku (ccccccc)',
        '',
        '### Dependencies',
        '',
        '- shared updated to 0.2.1',
        '',
      ].join('\n'),
    );
  });

  it('puts the new release on top, under the title', () => {
    const first = prependChangelog(undefined, '## 1.0.1 (2026-01-01)\n\n- a\n');
    expect(first).toBe('# Changelog\n\n## 1.0.1 (2026-01-01)\n\n- a\n');
    const second = prependChangelog(first, '## 1.1.0 (2026-02-01)\n\n- b\n');
    expect(second).toBe('# Changelog\n\n## 1.1.0 (2026-02-01)\n\n- b\n\n## 1.0.1 (2026-01-01)\n\n- a\n');
  });
});
