import { describe, expect, it } from 'vitest';
import { bumpOf, parseCommitMessage } from './commits.js';
import { planRelease, type ProjectReleaseInput } from './plan.js';
import { bumpSemVer, compareSemVer, parseSemVer, formatSemVer } from './semver.js';

const v = (s: string) => parseSemVer(s)!;

describe('commit messages → bumps', () => {
  const table: [string, 'major' | 'minor' | 'patch' | null | 'malformed' | 'other'][] = [
    ['fix: handle empty cart', 'patch'],
    ['fix(api): handle empty cart', 'patch'],
    ['perf: cache prices', 'patch'],
    ['feat: add invoices', 'minor'],
    ['feat(user)!: drop v1 login', 'major'],
    ['fix!: change error shape', 'major'],
    ['refactor!: rename module', 'major'],
    ['feat: new api\n\nBREAKING CHANGE: the old endpoint is gone', 'major'],
    ['fix: x\n\nBREAKING-CHANGE: renamed', 'major'],
    ['chore: bump deps', null],
    ['docs(readme): typo', null],
    ['ci: cache node_modules', null],
    ['test: more cases', null],
    ['Feat: capitalised type', 'minor'],
    ['feat(scope: unclosed', 'malformed'],
    ['feat:no space', 'malformed'],
    ['fix: ', 'malformed'],
    ['feat(): empty scope', 'malformed'],
    ['Merge branch main into feature', 'other'],
    ['Update README.md', 'other'],
    ['initial', 'other'],
  ];
  it.each(table)('%j → %s', (message, expected) => {
    const parsed = parseCommitMessage(message);
    if (expected === 'malformed' || expected === 'other') expect(parsed.kind).toBe(expected);
    else {
      expect(parsed.kind).toBe('conventional');
      if (parsed.kind === 'conventional') expect(bumpOf(parsed.commit) ?? null).toBe(expected);
    }
  });

  it('keeps scope, subject and the breaking note', () => {
    const p = parseCommitMessage('feat(cart)!: one cart per user\n\nbody text\n\nBREAKING CHANGE: carts are merged on login\n\nRefs: #12');
    expect(p).toEqual({
      kind: 'conventional',
      commit: { type: 'feat', scope: 'cart', subject: 'one cart per user', breaking: true, breakingNote: 'carts are merged on login' },
    });
  });
});

describe('semver', () => {
  it.each([
    ['1.2.3', 'patch', '1.2.4'],
    ['1.2.3', 'minor', '1.3.0'],
    ['1.2.3', 'major', '2.0.0'],
    ['1.2.3-beta.1', 'patch', '1.2.3'],
    ['1.3.0-rc.1', 'minor', '1.3.0'],
    ['2.0.0-rc.1', 'major', '2.0.0'],
    ['2.1.0-rc.1', 'major', '3.0.0'],
  ] as const)('%s + %s → %s', (from, bump, to) => expect(formatSemVer(bumpSemVer(v(from), bump))).toBe(to));

  it('orders prereleases below releases and numerically', () => {
    const sorted = ['1.0.0', '1.0.0-alpha', '1.0.0-alpha.10', '1.0.0-alpha.2', '0.9.9', '1.0.0-beta'].map(v).sort(compareSemVer).map(formatSemVer);
    expect(sorted).toEqual(['0.9.9', '1.0.0-alpha', '1.0.0-alpha.2', '1.0.0-alpha.10', '1.0.0-beta', '1.0.0']);
  });
});

const project = (name: string, current: string, messages: string[], dependencies: string[] = []): ProjectReleaseInput => ({
  name,
  current: v(current),
  commits: messages.map((message, i) => ({ hash: `${name}${i}`.padEnd(40, '0'), message })),
  dependencies,
});

describe('planRelease', () => {
  it('takes the largest bump of a project’s commits', () => {
    const plan = planRelease([project('catalog', '1.4.2', ['fix: a', 'feat: b', 'chore: c'])]);
    expect(plan.projects.catalog).toMatchObject({ current: '1.4.2', next: '1.5.0', bump: 'minor' });
    expect(plan.projects.catalog!.commits.map((c) => c.bump)).toEqual(['patch', 'minor', null]);
  });

  it('adjusts bumps below 1.0.0: breaking → minor, feature → patch', () => {
    const plan = planRelease([project('a', '0.3.1', ['feat!: x']), project('b', '0.3.1', ['feat: y']), project('c', '0.3.1', ['fix: z'])]);
    expect([plan.projects.a!.next, plan.projects.b!.next, plan.projects.c!.next]).toEqual(['0.4.0', '0.3.2', '0.3.2']);
    expect(plan.projects.a!.bump).toBe('minor');
  });

  it('leaves out projects with nothing to release', () => {
    const plan = planRelease([project('a', '1.0.0', ['chore: x', 'docs: y']), project('b', '1.0.0', [])]);
    expect(plan.projects).toEqual({});
  });

  it('gives dependents a patch bump, transitively, and records why', () => {
    const plan = planRelease([
      project('shared', '1.1.0', ['feat: money type']),
      project('invoice', '2.0.0', [], ['shared']),
      project('payroll', '0.5.0', [], ['invoice']),
      project('user', '1.0.0', []),
      project('catalog', '1.0.0', ['feat!: new ids'], ['shared']),
    ]);
    expect(Object.fromEntries(Object.values(plan.projects).map((p) => [p.name, [p.bump, p.next]]))).toEqual({
      catalog: ['major', '2.0.0'],
      invoice: ['patch', '2.0.1'],
      payroll: ['patch', '0.5.1'],
      shared: ['minor', '1.2.0'],
    });
    expect(plan.projects.invoice!.dependencyBumps).toEqual([{ project: 'shared', version: '1.2.0' }]);
    expect(plan.projects.catalog!.dependencyBumps).toEqual([{ project: 'shared', version: '1.2.0' }]);
  });

  it('skips malformed headers with a note instead of failing', () => {
    const plan = planRelease([project('a', '1.0.0', ['feat(oops: x', 'fix: real'])]);
    expect(plan.projects.a!.next).toBe('1.0.1');
    expect(plan.skipped).toEqual([{ project: 'a', hash: 'a0'.padEnd(40, '0'), message: 'feat(oops: x: the scope is not closed with ")"' }]);
  });
});
