import { describe, expect, it } from 'vitest';
import {
  codeownersFromSettings,
  compileCodeowners,
  compileOwners,
  generateCodeowners,
  parseCodeowners,
  readOwnersConfig,
  readProjectOwners,
  selectProjects,
  type OwnersConfigProblem,
} from './index.js';

const projects = [
  { name: 'rust-api', root: 'packages/rust-api', tags: ['rust'], owners: [] },
  { name: 'finance-ui', root: 'packages/finance-ui', tags: [], owners: [] },
  { name: 'finance-api', root: 'services/finance api', tags: ['api'], owners: [] },
  { name: 'books', root: 'apps/books', tags: [], owners: [{ files: '**/*', owners: ['@ahmed', '@petra'] }, { files: 'package.json', owners: ['@ahmed'], description: 'Ahmed manages dependencies' }] },
];

describe('generateCodeowners (Nx owners schema)', () => {
  it("writes nx.json patterns in order, then each project's own entries", () => {
    const problems: OwnersConfigProblem[] = [];
    const config = readOwnersConfig(
      {
        format: 'github',
        patterns: [
          { description: "Joe's Rust projects", projects: ['tag:rust'], owners: ['@joelovesrust'] },
          { description: 'Finance projects', projects: ['finance-*', '!finance-ui'], owners: ['@finance-team'] },
          { description: 'CI Workflows', files: ['.github/workflows/**/*'], owners: ['@devops'] },
        ],
      },
      problems,
    )!;
    expect(config.outputPath).toBe('.github/CODEOWNERS');
    const text = generateCodeowners(config, projects, problems);
    expect(problems).toEqual([]);
    expect(text.split('\n').slice(2)).toEqual([
      '',
      "# Joe's Rust projects",
      '/packages/rust-api/ @joelovesrust',
      '',
      '# Finance projects',
      '/services/finance\\ api/ @finance-team',
      '',
      '# CI Workflows',
      '/.github/workflows/**/* @devops',
      '',
      '# books',
      '/apps/books/**/* @ahmed @petra',
      '',
      '# books: Ahmed manages dependencies',
      '/apps/books/package.json @ahmed',
      '',
    ]);
    // what it writes reads back with the intended owners
    const m = compileOwners(parseCodeowners(text));
    expect(m.parsed.findings).toEqual([]);
    expect(m.ownersOf('services/finance api/src/a.ts').owners).toEqual(['@finance-team']);
    expect(m.ownersOf('apps/books/package.json').owners).toEqual(['@ahmed']);
    expect(m.ownersOf('apps/books/src/x.ts').owners).toEqual(['@ahmed', '@petra']);
  });

  it('writes GitLab sections with approvals, optional marks and default owners', () => {
    const problems: OwnersConfigProblem[] = [];
    const config = readOwnersConfig(
      { format: 'gitlab', sections: [{ name: 'Rust', numberOfRequiredApprovals: 2, defaultOwners: ['@rustaceans'], patterns: [{ projects: ['tag:rust'] }] }, { name: 'Docs', optional: true, patterns: [{ files: ['**/*.md'], owners: ['@docs'] }] }] },
      problems,
    )!;
    expect(problems).toEqual([]);
    expect(config.outputPath).toBe('.gitlab/CODEOWNERS');
    const text = generateCodeowners(config, projects, problems);
    expect(text).toContain('\n[Rust][2] @rustaceans\n/packages/rust-api/\n\n^[Docs]\n/**/*.md @docs\n');
    const m = compileOwners(parseCodeowners(text));
    expect(m.ownersOf('packages/rust-api/src/lib.rs').owners).toEqual(['@rustaceans']);
  });

  it('reports configuration problems with their JSON path', () => {
    const problems: OwnersConfigProblem[] = [];
    readOwnersConfig({ format: 'svn' }, problems);
    readOwnersConfig({ patterns: [{ owners: ['not an owner'], projects: ['x'] }, { owners: ['@a'] }] }, problems);
    readProjectOwners({ '**/*': 'me' }, 'books', problems);
    expect(problems).toEqual([
      { path: 'owners.format', message: 'must be "github", "gitlab" or "bitbucket", not "svn"' },
      { path: 'owners.patterns[0].owners[0]', message: '"not an owner" is not an owner (@user, @org/team or an email address)' },
      { path: 'owners.patterns[1]', message: 'needs "projects" or "files"' },
      { path: 'books: owners["**/*"]', message: 'must be an array of owners like "@user", "@org/team" or an email address' },
    ]);
  });

  it('selects projects by name, glob, tag, directory and exclusion', () => {
    const names = (specs: string[]) => selectProjects(projects, specs).map((p) => p.name);
    expect(names(['books', 'rust-*'])).toEqual(['books', 'rust-api']);
    expect(names(['tag:api'])).toEqual(['finance-api']);
    expect(names(['packages/*'])).toEqual(['finance-ui', 'rust-api']);
    expect(names(['*', '!finance-*'])).toEqual(['books', 'rust-api']);
  });
});

describe('codeownersFromSettings (nx.json and project owners as written)', () => {
  const settings = (owners: unknown, file = 'apps/books/project.json') => ({ name: 'books', root: 'apps/books', tags: [], owners, file });

  it('is undefined when nothing declares owners, and uses the defaults when only projects do', () => {
    expect(codeownersFromSettings(undefined, [settings(undefined)])).toEqual({ ok: true, value: undefined });
    const r = codeownersFromSettings(undefined, [settings({ '**/*': ['@ahmed'] })]);
    if (!r.ok) throw new Error('expected text');
    expect(r.value!.outputPath).toBe('.github/CODEOWNERS');
    expect(compileCodeowners(r.value!.text, r.value!.outputPath).ownersOf('apps/books/src/a.ts').owners).toEqual(['@ahmed']);
  });

  it('locates every problem at its file, nx.json first, and makes no text then', () => {
    const r = codeownersFromSettings({ format: 'svn' }, [settings({ '**/*': 'me' }), settings({ a: ['@ok'] }, 'libs/x/package.json')]);
    expect(r).toEqual({
      ok: false,
      error: [
        { file: 'nx.json', path: 'owners.format', message: 'must be "github", "gitlab" or "bitbucket", not "svn"' },
        { file: 'apps/books/project.json', path: 'books: owners["**/*"]', message: 'must be an array of owners like "@user", "@org/team" or an email address' },
      ],
    });
  });

  it('reports, at nx.json, a pattern that selects no project', () => {
    const r = codeownersFromSettings({ patterns: [{ projects: ['nothing-*'], owners: ['@a'] }] }, [settings(undefined)]);
    expect(r).toEqual({ ok: false, error: [{ file: 'nx.json', path: 'owners.patterns[0]', message: '"projects" ["nothing-*"] selects no project' }] });
  });
});

describe('compileCodeowners', () => {
  it("takes the dialect given, else the location's, else the text's", () => {
    const text = '[Docs]\n*.md @docs\n';
    expect(compileCodeowners(text, 'CODEOWNERS').parsed.dialect).toBe('gitlab');
    expect(compileCodeowners(text, '.github/CODEOWNERS').parsed.dialect).toBe('github');
    expect(compileCodeowners('* @a\n', '.gitlab/CODEOWNERS').parsed.dialect).toBe('gitlab');
    expect(compileCodeowners(text, '.gitlab/CODEOWNERS', 'github').parsed.dialect).toBe('github');
    expect(compileCodeowners('* @a\n', 'docs/CODEOWNERS').parsed.findings).toEqual([]);
  });
});
