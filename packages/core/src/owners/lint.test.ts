import { describe, expect, it } from 'vitest';
import { compileOwners, lintCodeowners, parseCodeowners, shadowedRules } from './index.js';

const m = (text: string, file = 'CODEOWNERS') => compileOwners(parseCodeowners(text, { file }));
const shadowed = (text: string) => shadowedRules(m(text)).map((s) => [s.rule.line, s.by.line]);

describe('syntax findings, in GitHub words, and the lines are skipped', () => {
  it('reports ! negation, [ ] ranges, an escaped leading #, *** and a lone /', () => {
    const parsed = parseCodeowners('!foo @a\nsrc/[ab].js @a\n\\#notes @a\n***/*.rb @a\n/ @a\n*.ts @ok\n', { file: '.github/CODEOWNERS' });
    expect(parsed.findings.map((f) => [f.line, f.column, f.rule])).toEqual([
      [1, 1, 'invalid-pattern'],
      [2, 5, 'invalid-pattern'],
      [3, 1, 'invalid-pattern'],
      [4, 1, 'invalid-pattern'],
      [5, 1, 'invalid-pattern'],
    ]);
    expect(parsed.findings[0]!.message).toMatch(/^Invalid pattern on line 1: negation with `!` does not work/);
    expect(parsed.findings[1]!.message).toBe('Invalid pattern on line 2: both `[` and `]` must be escaped with a `\\` (character ranges do not work in CODEOWNERS).');
    expect(parsed.findings[3]!.message).toBe('Invalid pattern on line 4: Did you mean `**/*.rb`?');
    expect(parsed.findings[4]!.message).toBe('Invalid pattern on line 5: The pattern `/` will never match anything, did you mean `*` instead?');
    expect(parsed.rules.map((r) => r.pattern)).toEqual(['*.ts']);
  });

  it('reports invalid owners at their column and skips the whole line', () => {
    const parsed = parseCodeowners('*.js @good not-an-owner\n*.md @org/team docs@example.com @user_name\n');
    expect(parsed.findings).toEqual([
      { file: 'CODEOWNERS', line: 1, column: 12, rule: 'invalid-owner', severity: 'error', lineSkipped: true, message: 'Invalid owner on line 1: `not-an-owner` is not a @username, @org/team-name or an email address.' },
    ]);
    expect(parsed.rules.map((r) => r.pattern)).toEqual(['*.md']);
    expect(parsed.rules[0]!.ownersAt).toEqual([{ line: 2, column: 6 }, { line: 2, column: 16 }, { line: 2, column: 33 }]);
  });

  it('in GitLab, drops only the invalid owner and keeps the line', () => {
    const parsed = parseCodeowners('[Docs]\n*.md @docs bad-owner\n', { dialect: 'gitlab' });
    expect(parsed.findings.map((f) => [f.rule, f.lineSkipped])).toEqual([['invalid-owner', undefined]]);
    expect(parsed.rules.map((r) => [r.pattern, r.owners])).toEqual([['*.md', ['@docs']]]);
  });

  it('treats # as the start of a comment, unless escaped', () => {
    const parsed = parseCodeowners('*.js @a #@b\nfoo\\#bar @c\n  # indented comment\n');
    expect(parsed.findings).toEqual([]);
    expect(parsed.rules.map((r) => [r.pattern, r.owners])).toEqual([
      ['*.js', ['@a']],
      ['foo\\#bar', ['@c']],
    ]);
  });

  it('flags a line holding only an owner', () => {
    expect(parseCodeowners('@pantheon/maintainers\n').findings[0]!.message).toContain('looks like an owner, but each line starts with a file pattern');
    expect(parseCodeowners('@hanthor @castrojo\n').findings.map((f) => f.rule)).toEqual(['invalid-pattern']);
    expect(parseCodeowners('@types/node @x\n').findings).toEqual([]);
  });

  it('handles CRLF line endings and escaped spaces', () => {
    const parsed = parseCodeowners('docs/my\\ file.md @a\r\n*.ts @b\r\n');
    expect(parsed.rules.map((r) => [r.pattern, r.owners])).toEqual([
      ['docs/my\\ file.md', ['@a']],
      ['*.ts', ['@b']],
    ]);
  });
});

describe('shadowed lines', () => {
  it("finds the documented example's dead lines", () => {
    const text = ['* @g', '/build/logs/ @doctocat', 'docs/* docs@example.com', 'apps/ @octocat', '/docs/ @doctocat', '**/logs @octocat', '/apps/ @octocat', '/apps/github', '/apps/ @octocat', '/apps/github @doctocat'].join('\n');
    expect(shadowed(text)).toEqual([
      [2, 6], // /build/logs/ by **/logs
      [3, 5], // docs/* by /docs/
      [7, 9], // the same pattern again
      [8, 10],
    ]);
  });

  it('a later catch-all shadows everything before it', () => {
    expect(shadowed('*.js @a\n/src/ @b\n* @all\n')).toEqual([
      [1, 3],
      [2, 3],
    ]);
  });

  it('floating one-segment patterns shadow lines whose matches always hold that segment', () => {
    expect(shadowed('/src/app.js @a\n*.js @b\n')).toEqual([[1, 2]]);
    expect(shadowed('/src/**/index.js @a\n*.js @b\n')).toEqual([[1, 2]]);
    // `logs/` needs something below logs: a file named logs is not covered
    expect(shadowed('/build/logs @a\nlogs/ @b\n')).toEqual([]);
    expect(shadowed('/build/logs/ @a\nlogs/ @b\n')).toEqual([[1, 2]]);
  });

  it('anchored directories shadow what lies within them, and no more', () => {
    expect(shadowed('/a/b/*.ts @x\n/a/ @y\n')).toEqual([[1, 2]]);
    expect(shadowed('/a @x\n/a/ @y\n')).toEqual([]); // a file named `a` stays with line 1
    expect(shadowed('/a/ @x\n/a @y\n')).toEqual([[1, 2]]);
    expect(shadowed('a/*.ts @x\n/a/b/ @y\n')).toEqual([]);
    expect(shadowed('*.ts @x\n/src/ @y\n')).toEqual([]); // *.ts matches outside src
    expect(shadowed('/src/ @x\n/src/*.ts @y\n')).toEqual([]); // only direct .ts children
    expect(shadowed('apps/ @x\n/apps/ @y\n')).toEqual([]); // apps/ floats
  });

  it('GitLab: only the same pattern later in the same section', () => {
    expect(shadowed('[A]\n*.md @a\n[B]\n*.md @b\n[A]\n*.md @c\n')).toEqual([[2, 6]]);
  });
});

describe('lintCodeowners', () => {
  const text = '/README.md @org/everyone\n/services/catalog/ @org/catalog @stranger\n/services/ghost/ @org/ghosts\n/docs/*.md\n/services/user/ @org/user\n';
  const files = ['services/catalog/a.ts', 'services/user/b.py', 'docs/readme.md', 'README.md'];

  it('reports unknown owners (GitHub wording), patterns matching nothing, unowned files and projects', () => {
    const result = lintCodeowners({
      matcher: m(text),
      files,
      knownOwners: ['@org/*'],
      projects: [
        { name: 'catalog', root: 'services/catalog' },
        { name: 'docs', root: 'docs' },
      ],
    });
    expect(result.findings.map((f) => [f.rule, f.line, f.column])).toEqual([
      ['unowned-files', 0, 0],
      ['unowned-project', 0, 0],
      ['unknown-owner', 2, 33],
      ['pattern-matches-nothing', 3, 1],
    ]);
    const byRule = Object.fromEntries(result.findings.map((f) => [f.rule, f.message]));
    expect(byRule['unknown-owner']).toBe('Unknown owner on line 2: make sure @stranger exists and has write access to the repository (it is not in the known owners list)');
    expect(byRule['unowned-files']).toBe('1 of 4 files have no owner (coverage 75%): docs/readme.md.');
    expect(byRule['unowned-project']).toBe('Project "docs" (docs) has no owner; add a line such as `/docs/ @team`.');
    expect(result.coverage).toEqual({ files: 4, owned: 3, percent: 75, unowned: ['docs/readme.md'] });
  });

  it('is clean for a complete file', () => {
    const result = lintCodeowners({ matcher: m('* @org/all\n/services/ @org/svc\n'), files, knownOwners: ['@org/*'], projects: [{ name: 'root', root: '' }] });
    expect(result.findings).toEqual([]);
    expect(result.coverage!.percent).toBe(100);
  });
});
