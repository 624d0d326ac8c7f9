import { describe, expect, it } from 'vitest';
import { checkApprovals, compileOwners, parseCodeowners } from './index.js';

const matcher = (text: string) => compileOwners(parseCodeowners(text));

describe('checkApprovals', () => {
  const m = matcher('* @lead\n/api/ @alice @bob\n/web/ @org/web\n/vendor/\n');

  it('groups changed files by owner list; one approval from each list satisfies it', () => {
    const r = checkApprovals(m, ['api/a.ts', 'api/b.ts', 'web/x.ts', 'vendor/lib.js', 'api/a.ts'], { approvedBy: ['@Bob'] });
    expect(r.files).toEqual({ 'api/a.ts': ['@alice', '@bob'], 'api/b.ts': ['@alice', '@bob'], 'vendor/lib.js': [], 'web/x.ts': ['@org/web'] });
    expect(r.required).toEqual([['@alice', '@bob'], ['@org/web']]);
    expect(r.missing).toEqual([['@org/web']]);
    expect(r.unowned).toEqual(['vendor/lib.js']);
    expect(r.groups[0]).toMatchObject({ files: ['api/a.ts', 'api/b.ts'], approvedBy: ['@bob'], satisfied: true });
    expect(r.satisfied).toBe(false);
  });

  it("ignores the author's approval, even when the author is the only owner", () => {
    const r = checkApprovals(matcher('/me/ @me\n'), ['me/a'], { approvedBy: ['@me'], author: '@ME' });
    expect(r.missing).toEqual([['@me']]);
  });

  it('a change touching only unowned files needs nobody', () => {
    const r = checkApprovals(m, ['vendor/a.js']);
    expect(r).toMatchObject({ required: [], missing: [], satisfied: true });
  });

  it('GitLab: section counts from distinct owners; optional sections never required', () => {
    const g = matcher('[Backend][2]\n/api/ @a @b @c\n^[Docs]\n*.md @w\n');
    const one = checkApprovals(g, ['api/README.md'], { approvedBy: ['@a'] });
    expect(one.groups.map((x) => [x.section, x.approvals, x.optional, x.satisfied])).toEqual([
      ['Backend', 2, false, false],
      ['Docs', 1, true, false],
    ]);
    expect(one.satisfied).toBe(false);
    expect(checkApprovals(g, ['api/README.md'], { approvedBy: ['@a', '@c'] }).satisfied).toBe(true);
  });
});
