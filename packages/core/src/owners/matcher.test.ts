import { describe, expect, it } from 'vitest';
import { compileOwners, compilePattern, parseCodeowners, type Dialect } from './index.js';

const who = (text: string, path: string, dialect: Dialect | 'auto' = 'auto') =>
  compileOwners(parseCodeowners(text, { dialect })).ownersOf(path).owners;

/** GitHub's example CODEOWNERS file from "About code owners", with its comments. */
const GITHUB_EXAMPLE = `# This is a comment.
# Each line is a file pattern followed by one or more owners.

# These owners will be the default owners for everything in
# the repo. Unless a later match takes precedence,
# @global-owner1 and @global-owner2 will be requested for
# review when someone opens a pull request.
*       @global-owner1 @global-owner2

# Order is important; the last matching pattern takes the most
# precedence. When someone opens a pull request that only
# modifies JS files, only @js-owner and not the global
# owner(s) will be requested for a review.
*.js    @js-owner #This is an inline comment.

# You can also use email addresses if you prefer. They'll be
# used to look up users just like we do for commit author
# emails.
*.go docs@example.com

# Teams can be specified as code owners as well. Teams should
# be identified in the format @org/team-name. Teams must have
# explicit write access to the repository. In this example,
# the octocats team in the octo-org organization owns all .txt files.
*.txt @octo-org/octocats

# In this example, @doctocat owns any files in the build/logs
# directory at the root of the repository and any of its
# subdirectories.
/build/logs/ @doctocat

# The \`docs/*\` pattern will match files like
# \`docs/getting-started.md\` but not further nested files like
# \`docs/build-app/troubleshooting.md\`.
docs/*  docs@example.com

# In this example, @octocat owns any file in an apps directory
# anywhere in your repository.
apps/ @octocat

# In this example, @doctocat owns any file in the \`/docs\`
# directory in the root of your repository and any of its
# subdirectories.
/docs/ @doctocat

# In this example, any change inside the \`/scripts\` directory
# will require approval from @doctocat or @octocat.
/scripts/ @doctocat @octocat

# In this example, @octocat owns any file in a \`/logs\` directory such as
# \`/build/logs\`, \`/scripts/logs\`, and \`/deeply/nested/logs\`. Any changes
# in a \`/logs\` directory will require approval from @octocat.
**/logs @octocat

# In this example, @octocat owns any file in the \`/apps\`
# directory in the root of your repository except for the \`/apps/github\`
# subdirectory, as its owners are left empty.
/apps/ @octocat
/apps/github

# In this example, @octocat owns any file in the \`/apps\`
# directory in the root of your repository except for the \`/apps/github\`
# subdirectory, as this subdirectory has its own owner @doctocat
/apps/ @octocat
/apps/github @doctocat
`;

describe("GitHub's documented example", () => {
  const m = compileOwners(parseCodeowners(GITHUB_EXAMPLE, { file: '.github/CODEOWNERS' }));
  const owners = (p: string) => m.ownersOf(p).owners;

  it('parses without findings; the inline comment is not an owner', () => {
    expect(m.parsed.dialect).toBe('github');
    expect(m.parsed.findings).toEqual([]);
    expect(m.parsed.rules.find((r) => r.pattern === '*.js')!.owners).toEqual(['@js-owner']);
  });

  it('gives everything not matched later to the global owners', () => {
    expect(owners('README.md')).toEqual(['@global-owner1', '@global-owner2']);
    expect(owners('src/deep/thing.rb')).toEqual(['@global-owner1', '@global-owner2']);
  });

  it('lets a later match take precedence: JS files go to @js-owner alone', () => {
    expect(owners('src/index.js')).toEqual(['@js-owner']);
    expect(owners('index.js')).toEqual(['@js-owner']);
  });

  it('accepts email owners and team owners', () => {
    expect(owners('cmd/main.go')).toEqual(['docs@example.com']);
    expect(owners('notes/todo.txt')).toEqual(['@octo-org/octocats']);
  });

  it('/build/logs/ owns files below build/logs, but **/logs comes later and wins', () => {
    const rule = m.ownersOf('build/logs/today.log').matches[0]!.rule;
    expect(rule.pattern).toBe('**/logs');
    expect(owners('build/logs/today.log')).toEqual(['@octocat']);
    expect(owners('build/logs/deeper/today.log')).toEqual(['@octocat']);
  });

  it('docs/* matches direct children only; /docs/ (later) takes every file below docs', () => {
    const only = compileOwners(parseCodeowners('docs/*  docs@example.com'));
    expect(only.ownersOf('docs/getting-started.md').owners).toEqual(['docs@example.com']);
    expect(only.ownersOf('docs/build-app/troubleshooting.md').owners).toEqual([]);
    expect(owners('docs/getting-started.md')).toEqual(['@doctocat']);
    expect(owners('docs/build-app/troubleshooting.md')).toEqual(['@doctocat']);
  });

  it('apps/ matches an apps directory anywhere', () => {
    expect(owners('web/apps/main.rb')).toEqual(['@octocat']);
    expect(owners('a/b/apps/c/d.rb')).toEqual(['@octocat']);
  });

  it('/scripts/ requires @doctocat or @octocat', () => {
    expect(owners('scripts/deploy.sh')).toEqual(['@doctocat', '@octocat']);
  });

  it('**/logs matches logs directories at any depth', () => {
    for (const p of ['build/logs/a', 'scripts/logs/a', 'deeply/nested/logs/a', 'logs/a']) expect(owners(p)).toEqual(['@octocat']);
  });

  it('a line with no owners leaves /apps/github unowned; a later line gives it @doctocat', () => {
    const first = compileOwners(parseCodeowners('/apps/ @octocat\n/apps/github\n'));
    expect(first.ownersOf('apps/main.rb').owners).toEqual(['@octocat']);
    expect(first.ownersOf('apps/github/index.rb').owners).toEqual([]);
    expect(first.ownersOf('apps/github/index.rb').matches[0]!.rule.line).toBe(2);
    expect(owners('apps/github/index.rb')).toEqual(['@doctocat']);
    expect(owners('apps/other/index.rb')).toEqual(['@octocat']);
  });
});

/** [pattern, path, matches] — GitHub's matching, case by case. */
const GITHUB_CASES: Array<[string, string, boolean]> = [
  // a single segment floats and covers what it names
  ['foo', 'foo', true],
  ['foo', 'foo.txt', false],
  ['foo', 'foo/bar', true],
  ['foo', 'bar/foo', true],
  ['foo', 'bar/foo/baz', true],
  ['foo', 'bar/baz', false],
  // leading slash anchors
  ['/foo', 'foo', true],
  ['/foo', 'foo/bar/baz', true],
  ['/foo', 'bar/foo', false],
  ['/foo', 'fool.txt', false],
  // trailing slash: contents only
  ['foo/', 'foo', false],
  ['foo/', 'foo/bar', true],
  ['foo/', 'bar/foo/baz/qux', true],
  ['/foo/', 'bar/foo/baz', false],
  ['/foo/', 'foo/bar/baz', true],
  // a middle slash anchors too
  ['foo/bar', 'foo/bar', true],
  ['foo/bar', 'foo/bar/baz', true],
  ['foo/bar', 'baz/foo/bar', false],
  ['foo/bar', 'foo/bart', false],
  ['foo/bar/', 'foo/bar', false],
  ['foo/bar/', 'foo/bar/baz', true],
  // * never crosses /
  ['*', 'foo', true],
  ['*', 'foo/bar/baz', true],
  ['f*', 'foo/bar', true],
  ['f*', 'bar/foo', true],
  ['f*', 'xfoo', false],
  ['/*', 'foo', true],
  ['/*', 'foo/bar', false],
  ['/f*', 'bar/foo', false],
  ['f*/', 'foo', false],
  ['f*/', 'bar/foo/baz', true],
  ['/*/', 'foo', false],
  ['/*/', 'foo/bar', true],
  ['foo/*', 'foo', false],
  ['foo/*', 'foo/bar', true],
  ['foo/*', 'foo/bar/baz', false],
  ['foo/*.txt', 'foo/bar.txt', true],
  ['foo/*.txt', 'foo/bar/baz.txt', false],
  ['foo/*.txt', 'qux/foo/bar.txt', false],
  ['foo/*/baz', 'foo/bar/baz', true],
  ['foo/*/baz', 'foo/baz', false],
  ['foo/*/baz', 'foo/bar/baz/qux', true],
  // ?
  ['f?o', 'foo', true],
  ['f?o', 'fo', false],
  ['f?o', 'fooo', false],
  ['f?o', 'f/o', false],
  // escapes
  ['f\\*o', 'foo', false],
  ['f\\*o', 'f*o', true],
  ['f\\?o', 'f?o', true],
  ['f\\?o', 'foo', false],
  ['my\\ file.txt', 'docs/my file.txt', true],
  ['docs/\\#notes.md', 'docs/#notes.md', true],
  ['\\[draft\\].md', 'a/[draft].md', true],
  // **
  ['**/foo/bar', 'foo/bar', true],
  ['**/foo/bar', 'qux/foo/bar/baz', true],
  ['**/foo/bar', 'qux/foo/baz/bar', false],
  ['**/*bar*', 'foo/rebar', true],
  ['**/*bar*', 'bar', true],
  ['foo/bar/**', 'foo/bar', false],
  ['foo/bar/**', 'foo/bar/baz/qux', true],
  ['foo/bar/**', 'qux/foo/bar/baz', false],
  ['foo/**/bar', 'foo/bar', true],
  ['foo/**/bar', 'foo/qux/quux/bar/baz', true],
  ['foo/**/bar', 'qux/foo/bar', false],
  ['foo/**/', 'foo', false],
  ['foo/**/', 'foo/bar/baz', true],
  ['foo/**/bar/b*', 'foo/qux/bar/baz', true],
  ['foo/**/bar/b*', 'foo/qux/bar/qux', false],
  // case-sensitive
  ['/Docs/', 'docs/a.md', false],
  ['*.MD', 'README.md', false],
  ['README.md', 'readme.md', false],
  // dotfiles are ordinary files
  ['*', '.github/workflows/ci.yml', true],
  ['*.yml', '.github/workflows/ci.yml', true],
];

describe('GitHub pattern rules', () => {
  it.each(GITHUB_CASES)('%s on %s → %s', (pattern, path, expected) => {
    expect(compilePattern(pattern, 'github').test(path)).toBe(expected);
    // the indexed matcher agrees with the pattern's own test
    expect(who(`${pattern} @o`, path, 'github').length === 1).toBe(expected);
  });
});

describe('directories', () => {
  const m = compileOwners(parseCodeowners('* @all\n*.ts @ts\n/libs/a/ @a\n/libs/b @b\n/libs/c/*.ts @c\ndocs/* @docs\n'));
  it('gives a directory the owners a new file directly inside it would get', () => {
    expect(m.ownersOfDirectory('libs/a').owners).toEqual(['@a']);
    expect(m.ownersOfDirectory('libs/b').owners).toEqual(['@b']);
    expect(m.ownersOfDirectory('libs/c').owners).toEqual(['@all']);
    expect(m.ownersOfDirectory('docs').owners).toEqual(['@docs']);
    expect(m.ownersOfDirectory('').owners).toEqual(['@all']);
    expect(m.ownersOfDirectory('libs/a/').owners).toEqual(['@a']);
  });
});

describe('GitLab dialect', () => {
  it('is detected from section headers', () => {
    expect(parseCodeowners('[Docs]\n*.md @docs\n').dialect).toBe('gitlab');
    expect(parseCodeowners('*.md @docs\n').dialect).toBe('github');
  });

  it("unions owners across sections, last match within each (GitLab's README example)", () => {
    const text = '* @admin\n\n[README Owners]\nREADME.md @user1 @user2\ninternal/README.md @user4\n\n[README other owners]\nREADME.md @user3\n';
    expect(who(text, 'README.md')).toEqual(['@admin', '@user1', '@user2', '@user3']);
    expect(who(text, 'internal/README.md')).toEqual(['@admin', '@user4', '@user3']);
  });

  it('matches patterns without a leading / at any depth, and only / anchors', () => {
    const text = '[S]\nREADME.md @r\ninternal/README.md @i\n/docs/README.md @d\n';
    expect(who(text, 'app/lib/README.md')).toEqual(['@r']);
    expect(who(text, 'docs/internal/README.md')).toEqual(['@i']);
    expect(who(text, 'docs/README.md')).toEqual(['@d']);
    expect(who(text, 'x/docs/README.md')).toEqual(['@r']);
  });

  it('needs a trailing / for directory contents; * does not cross /', () => {
    const text = '[S]\n/docs/ @all-docs\n/docs/* @root-docs\n/docs/**/*.md @markdown\nee/docs @file-only\n';
    expect(who(text, 'docs/a.txt')).toEqual(['@root-docs']);
    expect(who(text, 'docs/api/a.txt')).toEqual(['@all-docs']);
    expect(who(text, 'docs/api/graphql/a.md')).toEqual(['@markdown']);
    expect(who(text, 'docs/a.md')).toEqual(['@markdown']);
    expect(who(text, 'ee/docs/a.md')).toEqual([]);
    expect(who(text, 'ee/docs')).toEqual(['@file-only']);
  });

  it('applies default owners from the header, optional sections and approval counts', () => {
    const parsed = parseCodeowners('[Documentation][2] @docs-team\ndocs/\nREADME.md @readme\n\n^[Go]\n*.go @gophers\n');
    expect(parsed.findings).toEqual([]);
    const docs = parsed.sections.find((s) => s.key === 'documentation')!;
    expect(docs).toMatchObject({ name: 'Documentation', approvals: 2, optional: false });
    expect(parsed.sections.find((s) => s.key === 'go')).toMatchObject({ optional: true, approvals: 1 });
    const m = compileOwners(parsed);
    expect(m.ownersOf('docs/x.md').owners).toEqual(['@docs-team']);
    expect(m.ownersOf('README.md').owners).toEqual(['@readme']);
    expect(m.ownersOf('cmd/main.go').owners).toEqual(['@gophers']);
  });

  it('combines sections with the same name (case-insensitive); required wins over optional', () => {
    const parsed = parseCodeowners('^[Docs]\n*.md @a\n[docs]\n*.txt @b\n');
    expect(parsed.sections.filter((s) => s.key === 'docs')).toHaveLength(1);
    expect(parsed.sections.find((s) => s.key === 'docs')!.optional).toBe(false);
    expect(who('^[Docs]\n*.md @a\n[docs]\n*.md @b\n', 'x.md')).toEqual(['@b']);
  });

  it('exclusions take paths out of their section only', () => {
    const text = '* @username\n!pom.xml\n[Ruby]\n*.rb @ruby-team\n!/config/**/*.rb\n';
    expect(who(text, 'pom.xml')).toEqual([]);
    expect(who(text, 'app/a.rb')).toEqual(['@username', '@ruby-team']);
    expect(who(text, 'config/x/a.rb')).toEqual(['@username']);
  });

  it('accepts @@roles, nested groups and character classes; \\# escapes a leading #', () => {
    const text = '[S]\n/config/ @@maintainer\nREADME @group/with-nested/subgroup\n[Dd]ocs/ @docs\n\\#file_with_pound.rb @pound\n';
    const parsed = parseCodeowners(text);
    expect(parsed.findings).toEqual([]);
    expect(who(text, 'config/a.yml')).toEqual(['@@maintainer']);
    expect(who(text, 'x/README')).toEqual(['@group/with-nested/subgroup']);
    expect(who(text, 'Docs/a')).toEqual(['@docs']);
    expect(who(text, 'docs/a')).toEqual(['@docs']);
    expect(who(text, '#file_with_pound.rb')).toEqual(['@pound']);
  });

  it('warns about inline comments, whose owners GitLab still counts', () => {
    const parsed = parseCodeowners('[S]\n*.md @a # reviewed by @b\n', { dialect: 'gitlab' });
    expect(parsed.findings.map((f) => [f.rule, f.line, f.column, f.severity])).toEqual([['inline-comment', 2, 9, 'warning']]);
    expect(parsed.rules[0]!.owners).toEqual(['@a', '@b']);
  });

  it('reports bad section headers', () => {
    const parsed = parseCodeowners('[Docs][two]\n*.md @a\n[ ]\n', { dialect: 'gitlab' });
    expect(parsed.findings.map((f) => [f.rule, f.line])).toEqual([
      ['invalid-section', 1],
      ['invalid-section', 3],
    ]);
  });

  it('reports entries with no owners when the section has no default', () => {
    const parsed = parseCodeowners('[S]\ndocs/\n');
    expect(parsed.findings.map((f) => f.rule)).toEqual(['missing-owner']);
  });
});

describe('speed', () => {
  it('matches many paths against many lines through the index (same answers as a naive scan)', () => {
    const lines = ['* @everyone'];
    for (let i = 0; i < 300; i++) lines.push(`/packages/p${i}/ @team-${i}`, `*.e${i} @ext-${i}`, `**/n${i} @name-${i}`);
    const parsed = parseCodeowners(lines.join('\n'));
    const m = compileOwners(parsed);
    const naive = (p: string) => {
      for (let r = parsed.rules.length - 1; r >= 0; r--) if (m.compiled[r]!.test(p)) return parsed.rules[r]!.owners;
      return [];
    };
    for (let i = 0; i < 2000; i++) {
      const p = `packages/p${i % 400}/src/n${i % 350}/f${i}.e${i % 310}`;
      expect(m.ownersOf(p).owners).toEqual(naive(p));
    }
  });
});

describe('minDepth, the shortcut before the regex', () => {
  // Every pattern shape the dialects know, against paths of every depth: a path the regex
  // accepts is never shallower than the pattern's minDepth, so skipping by depth loses no match.
  const patterns = ['*', '**', '/**', 'a', '/a', 'a/', '/a/', 'a/b', '/a/*', '/a/**', 'a/**/b', '**/b', '**/b/', '/*/b/', '*.ts', '/a/*.ts', 'a/**', '/a/b/c/', '/a*/b/', 'docs/*', '/**/x/**'];
  const names = ['a', 'b', 'c', 'x', 'f.ts', '\u0000'];
  const paths: string[] = [];
  const grow = (prefix: string, depth: number) => {
    for (const n of names) {
      const p = prefix === '' ? n : `${prefix}/${n}`;
      paths.push(p);
      if (depth < 4 && n !== '\u0000') grow(p, depth + 1);
    }
  };
  grow('', 1);
  for (const dialect of ['github', 'gitlab'] as const)
    it(`holds for every ${dialect} pattern and path`, () => {
      let matched = 0;
      for (const pattern of patterns) {
        const c = compilePattern(pattern, dialect);
        for (const path of paths)
          if (c.test(path)) {
            matched++;
            expect(path.split('/').length, `${pattern} matched ${JSON.stringify(path)}`).toBeGreaterThanOrEqual(c.minDepth);
          }
      }
      expect(matched).toBeGreaterThan(1000);
    });

  it('a directory under hundreds of deeper rules still finds its own line', () => {
    const lines = ['/packages/p1/ @own'];
    for (let i = 0; i < 300; i++) lines.push(`/packages/p${i}*/src/ @src${i}`);
    const m = compileOwners(parseCodeowners(lines.join('\n'), { dialect: 'github' }));
    expect(m.ownersOfDirectory('packages/p1').owners).toEqual(['@own']);
    expect(m.ownersOfDirectory('packages/p1/src').owners).toEqual(['@src1']);
    expect(m.ownersOf('packages/p12/src/a.ts').owners).toEqual(['@src12']);
  });
});

describe('patterns that make a backtracking regular expression take exponential time', () => {
  // Each of these hung `owners who` for minutes when patterns compiled to regular expressions.
  const name = 'a'.repeat(60);
  const deep = Array.from({ length: 40 }, () => 'd').join('/');
  it.each<[string, Dialect, string, boolean]>([
    ['*a*a*a*a*a*a*a*a*a*a*b', 'github', name, false],
    ['*a*a*a*a*a*a*a*a*a*a*b', 'github', `${name}b`, true],
    ['*a*a*a*a*a*a*a*a*a*a*b', 'gitlab', `x/${name}`, false],
    ['?*?*?*?*?*?*?*?*f', 'github', `${name}e`, false],
    ['?*?*?*?*?*?*?*?*f', 'github', `${name}f`, true],
    ['**/d/**/d/**/d/**/d/**/x', 'github', `${deep}/y`, false],
    ['**/d/**/d/**/d/**/d/**/x', 'github', `${deep}/x`, true],
    ['/**/d/**/d/**/d/**/d/**/x', 'gitlab', `${deep}/y`, false],
    ['/**/d/**/d/**/d/**/d/**/x', 'gitlab', `${deep}/x`, true],
  ])('%s (%s) on a long path → %s', (pattern, dialect, path, expected) => {
    expect(compilePattern(pattern, dialect).test(path)).toBe(expected);
    expect(who(`${pattern} @o`, path, dialect).length === 1).toBe(expected);
  });
});

describe('lines real CODEOWNERS files hold', () => {
  it('accepts handles of older accounts, which may start or end with a hyphen', () => {
    const parsed = parseCodeowners('*.js @tobias- @-x @org-/team-a @x_y\n');
    expect(parsed.findings).toEqual([]);
    expect(parsed.rules[0]!.owners).toEqual(['@tobias-', '@-x', '@org-/team-a', '@x_y']);
  });

  it('reads a file that starts with a byte-order mark from its first line', () => {
    const parsed = parseCodeowners('\ufeff* @all\n/docs/ @docs\n');
    expect(parsed.findings).toEqual([]);
    expect(parsed.rules.map((r) => [r.pattern, r.line])).toEqual([['*', 1], ['/docs/', 2]]);
    expect(who('\ufeff* @all\n', 'src/a.ts', 'github')).toEqual(['@all']);
  });

  it('matches nothing with an empty segment, as git compares `//` literally', () => {
    for (const path of ['g/h/x', 'g/h', 'g//h/x']) expect(compilePattern('/g//h/', 'github').test(path)).toBe(false);
    expect(who('/g//h/ @x\n', 'g/h/x', 'github')).toEqual([]);
  });
});
