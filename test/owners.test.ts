import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, repoRoot, type TempRepo } from './helpers/repo.js';

describe('kiln owners who', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo({
      // .github/CODEOWNERS wins over the root file
      '.github/CODEOWNERS': '* @org/everyone\n*.js @js-owner # inline comment\n/docs/ @doctocat\n/apps/ @octocat\n/apps/github\n!secret @nobody\n',
      CODEOWNERS: '* @root-file-loses\n',
      'docs/guide/intro.md': '# intro\n',
      'apps/github/index.js': '',
      'apps/web/main.ts': '',
      'src/index.js': '',
      'README.md': '',
    });
  });
  afterAll(() => repo.cleanup());

  it('prints each path with its owners as JSON, reading .github/CODEOWNERS first', () => {
    const r = repo.kiln(['owners', 'who', 'src/index.js', 'README.md', 'apps/github/index.js', 'docs/guide/intro.md', '--json']);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({
      'src/index.js': ['@js-owner'],
      'README.md': ['@org/everyone'],
      'apps/github/index.js': [], // /apps/github comes after *.js and has no owners
      'docs/guide/intro.md': ['@doctocat'],
    });
    // the invalid `!` line is reported in GitHub's words and skipped
    expect(r.stderr).toContain('.github/CODEOWNERS:6:1: Invalid pattern on line 6');
  });

  it('takes paths relative to the current directory and gives directories their owners', () => {
    const r = repo.kiln(['owners', 'who', 'web', 'github/', '--json'], { cwd: `${repo.dir}/apps` });
    expect(r.json()).toEqual({ 'apps/web': ['@octocat'], 'apps/github': [] });
  });

  it('--explain names the deciding line', () => {
    const r = repo.kiln(['owners', 'who', 'apps/github/README', '--explain']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/apps\/github\/README\s+\(unowned\)/);
    expect(r.stdout).toContain('.github/CODEOWNERS:5  /apps/github (no owners: unowned)');
    const j = repo.kiln(['owners', 'who', 'src/index.js', '--explain', '--json']).json();
    expect(j['src/index.js']).toEqual({ owners: ['@js-owner'], rules: [{ file: '.github/CODEOWNERS', line: 2, pattern: '*.js', owners: ['@js-owner'] }] });
  });

  it('uses --codeowners and --dialect when given', () => {
    repo.write({ 'other/OWNERS': '[Docs]\n*.md @docs\n[Eng]\n* @eng\n' });
    const r = repo.kiln(['owners', 'who', 'README.md', '--codeowners', 'other/OWNERS', '--json']);
    expect(r.json()).toEqual({ 'README.md': ['@docs', '@eng'] });
    const bad = repo.kiln(['owners', 'who', 'README.md', '--dialect', 'svn']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--dialect must be github or gitlab');
  });

  it('in GitLab, an invalid owner is dropped and its line still decides, and says so', () => {
    repo.write({ 'gl/OWNERS': '[Docs]\n*.md @docs bad-owner\n' });
    const r = repo.kiln(['owners', 'who', 'README.md', '--codeowners', 'gl/OWNERS', '--explain']);
    expect(r.stdout).toContain('gl/OWNERS:2 [Docs]  *.md');
    expect(r.stderr).toContain('gl/OWNERS:2:12: Invalid owner on line 2');
    expect(r.stderr).not.toContain('line skipped');
  });

  it('gives a committed symbolic link to a directory, and a submodule, the owners of a file, as GitHub does', () => {
    const linked = createRepo({ CODEOWNERS: '* @all\n/link/ @dir-owner\n/sub/ @dir-owner\n', 'real/a.txt': '' });
    const module = createRepo({ 'm.txt': '' });
    try {
      symlinkSync('real', join(linked.dir, 'link'));
      linked.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', module.dir, 'sub');
      linked.commit('a link and a submodule');
      expect(linked.git('ls-files', '-s', 'link', 'sub')).toMatch(/^120000 .*\slink\n160000 .*\ssub\n$/);
      const r = linked.kiln(['owners', 'who', 'link', 'sub', 'real', '--json']);
      // git stores both as one entry (a blob, a gitlink): `/link/` and `/sub/` match only paths below them
      expect(r.json()).toEqual({ link: ['@all'], sub: ['@all'], real: ['@all'] });
      expect(linked.kiln(['owners', 'who', 'link/']).stdout).toMatch(/^link\/\s+@dir-owner$/m); // a trailing `/` still asks for a directory
      expect(linked.kiln(['owners', 'lint', '--json']).json().findings.map((f: { rule: string; line: number }) => [f.rule, f.line])).toEqual([
        ['pattern-matches-nothing', 2],
        ['pattern-matches-nothing', 3],
      ]);
    } finally {
      linked.cleanup();
      module.cleanup();
    }
  });

  it('--stdin reads 40,000 paths (more than a command line holds) into one JSON document; -z takes NUL-separated names', () => {
    const paths = Array.from({ length: 40_000 }, (_, i) => `apps/web/feature-${i % 400}/component/file-${i}.${i % 2 ? 'js' : 'ts'}`);
    const r = repo.kiln(['owners', 'who', '--stdin', '--json'], { input: `${paths.join('\r\n')}\n` });
    expect(r.code).toBe(0);
    const doc = r.json();
    expect(Object.keys(doc)).toEqual(paths);
    expect([doc[paths[0]!], doc[paths[1]!]]).toEqual([['@octocat'], ['@octocat']]);

    const names = ['docs/a\nb.md', 'src/index.js', 'apps/github/x'];
    const z = repo.kiln(['owners', 'who', 'README.md', '--stdin', '-z', '--json'], { input: `${names.join('\0')}\0` });
    expect(z.json()).toEqual({ 'README.md': ['@org/everyone'], 'docs/a\nb.md': ['@doctocat'], 'src/index.js': ['@js-owner'], 'apps/github/x': [] });
    expect(repo.kiln(['owners', 'who', '--stdin', '--json']).json()).toEqual({});
    const misuse = repo.kiln(['owners', 'who', 'README.md', '-z']);
    expect([misuse.code, misuse.stderr]).toEqual([2, expect.stringContaining('-z says how the paths on stdin are separated; it needs --stdin')]);
  });

  it("loads the owners modules only, not the rest of kiln's engine (its start-up cost)", () => {
    const log = join(repo.dir, '.git', 'modules.log');
    const r = repo.kiln(['owners', 'who', 'README.md'], { env: { NODE_OPTIONS: `--import=${join(repoRoot, 'test/fixtures/log-modules.mjs')}`, KILN_MODULE_LOG: log } });
    expect(r.code).toBe(0);
    const loaded = [...new Set(readFileSync(log, 'utf8').split('\n'))].filter((url) => url.startsWith('file:'));
    expect(loaded.some((url) => url.endsWith('/core/dist/owners/matcher.js'))).toBe(true); // the log works
    const engine = loaded.filter((url) => /\/node_modules\/|\/core\/dist\/(workspace\/index|graph|affected|release|cache|tasks|hash|inputs|lockfile|files)\//.test(url));
    expect(engine).toEqual([]);
  });

  it('fails with exit 2 and the searched locations when there is no CODEOWNERS', () => {
    const empty = createRepo({ 'a.txt': '' });
    try {
      const r = empty.kiln(['owners', 'who', 'a.txt']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('no CODEOWNERS file');
      expect(r.stderr).toContain('.github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS');
    } finally {
      empty.cleanup();
    }
  });
});

describe('kiln owners check', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo({
      CODEOWNERS: '* @lead\n/services/catalog/ @org/catalog\n/services/user/ @alice @bob\n*.md docs@example.com\n',
      'services/catalog/src/index.ts': 'export {};\n',
      'services/user/src/index.ts': 'export {};\n',
      'services/user/old-name.ts': 'export const x = 1;\n',
      'README.md': '# repo\n',
      'nx.json': '{ "defaultBase": "main" }\n',
    });
    repo.git('checkout', '-q', '-b', 'feature');
    repo.git('mv', 'services/user/old-name.ts', 'services/catalog/new-name.ts');
    repo.commit('move a file between services', { 'README.md': '# repo, changed\n' });
  });
  afterAll(() => repo.cleanup());

  it('lists the owners of every changed file (a rename at both paths) and the required groups', () => {
    const r = repo.kiln(['owners', 'check', '--head', 'HEAD', '--json']);
    expect(r.code).toBe(1);
    const doc = r.json();
    expect(doc.files).toEqual({
      'README.md': ['docs@example.com'],
      'services/catalog/new-name.ts': ['@org/catalog'],
      'services/user/old-name.ts': ['@alice', '@bob'],
    });
    expect(doc.required).toEqual([['@alice', '@bob'], ['@org/catalog'], ['docs@example.com']]);
    expect(doc.missing).toEqual(doc.required);
    expect(doc.satisfied).toBe(false);
    expect(doc.head).toBe(repo.git('rev-parse', 'HEAD').trim());
    expect(doc.base).toBe(repo.git('rev-parse', 'main').trim());
  });

  it('is satisfied by one owner of each group; handles are case-insensitive', () => {
    const r = repo.kiln(['owners', 'check', '--head', 'HEAD', '--approved-by', '@BOB,@org/catalog', '--approved-by', 'docs@example.com', '--json']);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ missing: [], satisfied: true });
  });

  it("does not count the author's own approval", () => {
    const r = repo.kiln(['owners', 'check', '--head', 'HEAD', '--approved-by', '@alice,@org/catalog,docs@example.com', '--author', '@alice', '--json']);
    expect(r.code).toBe(1);
    expect(r.json().missing).toEqual([['@alice', '@bob']]);
  });

  it('counts uncommitted and untracked files without --head, from the merge-base with main', () => {
    repo.write({ 'services/user/src/new.ts': 'export {};\n' });
    try {
      const r = repo.kiln(['owners', 'check', '--json', '--approved-by', '@bob,@org/catalog,docs@example.com']);
      expect(r.json().files['services/user/src/new.ts']).toEqual(['@alice', '@bob']);
      expect(r.json().head).toBeNull();
      expect(r.code).toBe(0);
    } finally {
      repo.git('clean', '-fdq');
    }
  });

  it('reads CODEOWNERS from the base commit, as GitHub does', () => {
    repo.git('checkout', '-q', '-b', 'grab-ownership');
    repo.commit('take over everything', { CODEOWNERS: '* @mallory\n' });
    try {
      const r = repo.kiln(['owners', 'check', '--head', 'HEAD', '--base', 'feature', '--json']);
      expect(r.json().files).toEqual({ CODEOWNERS: ['@lead'] });
      expect(r.json().codeowners).toEqual({ file: 'CODEOWNERS', ref: repo.git('rev-parse', 'feature').trim() });
    } finally {
      repo.git('checkout', '-q', 'feature');
    }
  });

  it('prints a markdown summary and GitHub annotations in Actions', () => {
    const r = repo.kiln(['owners', 'check', '--head', 'HEAD', '--approved-by', '@org/catalog', '--format', 'markdown'], { env: { GITHUB_ACTIONS: 'true' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('### Code owners');
    expect(r.stdout).toContain('| ✅ @org/catalog | @org/catalog | `services/catalog/new-name.ts` |');
    expect(r.stdout).toContain('| ❌ missing | one of @alice, @bob | `services/user/old-name.ts` |');
    expect(r.stdout).toContain('::error file=services/user/old-name.ts,title=Code owner approval missing::one of @alice, @bob must approve: services/user/old-name.ts');
  });

  it('rejects an unknown base with exit 2', () => {
    const r = repo.kiln(['owners', 'check', '--base', 'no-such-branch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The base ref "no-such-branch" does not name a commit');
  });
});

describe('kiln owners check with GitLab sections', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo({
      '.gitlab/CODEOWNERS': '* @admin\n\n[Backend][2] @be1 @be2 @be3\n/api/\n\n^[Docs]\n*.md @writer\n',
      'api/server.ts': '',
      'api/README.md': '',
    });
    repo.git('checkout', '-q', '-b', 'change');
    repo.commit('edit', { 'api/server.ts': 'x\n', 'api/README.md': 'y\n' });
  });
  afterAll(() => repo.cleanup());

  it('needs the section approval count from distinct owners; optional sections are not required', () => {
    const one = repo.kiln(['owners', 'check', '--head', 'HEAD', '--approved-by', '@admin,@be1', '--json']);
    expect(one.code).toBe(1);
    const doc = one.json();
    expect(doc.files['api/README.md']).toEqual(['@admin', '@be1', '@be2', '@be3', '@writer']);
    expect(doc.required).toEqual([['@admin'], ['@be1', '@be2', '@be3']]);
    expect(doc.missing).toEqual([['@be1', '@be2', '@be3']]);
    expect(doc.groups.find((g: { section: string }) => g.section === 'Docs')).toMatchObject({ optional: true });
    const two = repo.kiln(['owners', 'check', '--head', 'HEAD', '--approved-by', '@admin,@be1,@be3', '--json']);
    expect(two.code).toBe(0);
  });
});

describe('kiln owners lint', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo({
      'nx.json': { kiln: { owners: { known: ['@org/*', 'docs@example.com'] } } },
      'package.json': { name: 'root', private: true, workspaces: ['libs/*'] },
      'libs/a/package.json': { name: 'a' },
      'libs/a/index.ts': '',
      'libs/b/package.json': { name: 'b' },
      'libs/b/index.ts': '',
      'docs/intro.md': '',
      CODEOWNERS: ['/libs/a/ @org/a-team @mallory', '/libs/gone/ @org/nobody', '[ab].md @org/docs', '/docs/ @org/old-docs', '/docs/ docs@example.com', '/package.json @org/root', '/nx.json @org/root', '/CODEOWNERS @org/root', ''].join('\n'),
    });
  });
  afterAll(() => repo.cleanup());

  it('reports every kind of finding with file, line and column, and exits 1', () => {
    const r = repo.kiln(['owners', 'lint', '--json']);
    expect(r.code).toBe(1);
    const { findings, coverage } = r.json();
    expect(findings.map((f: { rule: string; line: number }) => [f.rule, f.line])).toEqual([
      ['unowned-files', 0],
      ['unowned-project', 0],
      ['unknown-owner', 1],
      ['pattern-matches-nothing', 2],
      ['invalid-pattern', 3],
      ['shadowed', 4],
    ]);
    const byRule = Object.fromEntries(findings.map((f: { rule: string }) => [f.rule, f]));
    expect(byRule['unknown-owner']).toEqual({ file: 'CODEOWNERS', line: 1, column: 22, rule: 'unknown-owner', message: 'Unknown owner on line 1: make sure @mallory exists and has write access to the repository (it is not in the known owners list)' });
    expect(byRule['invalid-pattern'].message).toContain('Invalid pattern on line 3: both `[` and `]` must be escaped');
    expect(byRule['unowned-project'].message).toBe('Project "b" (libs/b) has no owner; add a line such as `/libs/b/ @team`.');
    expect(coverage).toEqual({ files: 8, owned: 6, percent: 75, unowned: ['libs/b/index.ts', 'libs/b/package.json'] });
  });

  it('prints GitHub annotations in Actions and a markdown summary', () => {
    const r = repo.kiln(['owners', 'lint', '--format', 'markdown'], { env: { GITHUB_ACTIONS: 'true' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('::error file=CODEOWNERS,line=3,col=1,title=CODEOWNERS invalid-pattern::Invalid pattern on line 3');
    expect(r.stdout).toContain('::warning file=CODEOWNERS,line=4,col=1,title=CODEOWNERS shadowed::Line 4 (`/docs/`) never decides');
    expect(r.stdout).toContain('### CODEOWNERS lint');
    expect(r.stdout).toContain('| `CODEOWNERS:2` | pattern-matches-nothing |');
  });

  it('exits 0 on a clean file', () => {
    repo.write({ CODEOWNERS: '* @org/all\n' });
    try {
      const r = repo.kiln(['owners', 'lint', '--json']);
      expect(r.json()).toEqual({ findings: [], coverage: { files: 8, owned: 8, percent: 100, unowned: [] } });
      expect(r.code).toBe(0);
    } finally {
      repo.git('checkout', '--', 'CODEOWNERS');
    }
  });
});

describe('kiln owners generate and project owners', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo({
      'nx.json': {
        owners: {
          format: 'github',
          patterns: [
            { description: 'Everything else', files: ['**/*'], owners: ['@org/platform'] },
            { description: 'Finance', projects: ['finance-*'], owners: ['@org/finance'] },
          ],
        },
      },
      'package.json': { name: 'root', private: true, workspaces: ['libs/*'] },
      'libs/finance-ui/package.json': { name: 'finance-ui' },
      'libs/finance-api/package.json': { name: 'finance-api' },
      'libs/books/project.json': { name: 'books', owners: { '**/*': ['@ahmed'], 'package.json': { owners: ['@deps'], description: 'dependencies' } } },
    });
  });
  afterAll(() => repo.cleanup());

  it('--check fails while the file is missing, then generate writes it and --check passes', () => {
    const before = repo.kiln(['owners', 'generate', '--check']);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('.github/CODEOWNERS is out of date');
    const write = repo.kiln(['owners', 'generate', '--json']);
    expect(write.code).toBe(0);
    expect(write.json()).toEqual({ file: '.github/CODEOWNERS', upToDate: false, written: true });
    const after = repo.kiln(['owners', 'generate', '--check', '--json']);
    expect(after.json()).toEqual({ file: '.github/CODEOWNERS', upToDate: true, written: false });
    expect(after.code).toBe(0);
    const who = repo.kiln(['owners', 'who', 'libs/finance-api/src/x.ts', 'libs/books/package.json', 'libs/books/src/b.ts', 'README.md', '--json']).json();
    expect(who).toEqual({
      'libs/finance-api/src/x.ts': ['@org/finance'],
      'libs/books/package.json': ['@deps'],
      'libs/books/src/b.ts': ['@ahmed'],
      'README.md': ['@org/platform'],
    });
  });

  it('kiln projects --json shows the owners of each project root', () => {
    const projects = repo.kiln(['projects', '--json']).json() as { name: string; owners: string[] }[];
    expect(Object.fromEntries(projects.map((p) => [p.name, p.owners]))).toMatchObject({
      'finance-ui': ['@org/finance'],
      'finance-api': ['@org/finance'],
      books: ['@ahmed'],
    });
  });

  it('accepts "owners": true in nx.json (every default; project entries only)', () => {
    repo.write({ 'nx.json': { owners: true } });
    try {
      const r = repo.kiln(['owners', 'generate', '--check', '--json']);
      expect(r.stderr).toBe('');
      expect(r.json()).toEqual({ file: '.github/CODEOWNERS', upToDate: false, written: false });
      expect(r.code).toBe(1);
    } finally {
      repo.git('checkout', '--', 'nx.json');
    }
  });

  it('reports a malformed owners setting at its file, line and column, with exit 2', () => {
    repo.write({ 'libs/books/project.json': { name: 'books', owners: { '**/*': '@ahmed' } } });
    try {
      const r = repo.kiln(['owners', 'generate']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('libs/books/project.json:4:5: books: owners["**/*"]: must be an array of owners');
      repo.write({ 'libs/finance-ui/package.json': { name: 'finance-ui', nx: { owners: { 'src/**': ['@ok', 'not an owner'] } } } });
      const json = repo.kiln(['owners', 'generate', '--check', '--json']).json();
      expect(json.errors.map((e: { file: string; line: number; column: number }) => `${e.file}:${e.line}:${e.column}`)).toEqual(['libs/books/project.json:4:5', 'libs/finance-ui/package.json:7:9']);
      repo.write({ 'nx.json': { owners: { patterns: [{ projects: ['*'], owners: '@everyone' }] } } });
      expect(repo.kiln(['owners', 'generate', '--check', '--json']).json().error).toMatchObject({ file: 'nx.json', line: 8, column: 9 });
    } finally {
      repo.git('checkout', '--', 'libs/books/project.json', 'libs/finance-ui/package.json', 'nx.json');
    }
  });
});
