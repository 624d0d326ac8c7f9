import { describe, expect, it } from 'vitest';
import { findMatchingProjects, isPlainNames, parseFilter, selectProjects, type SelectableProject, type SelectionInput } from './index.js';

// A workspace with nested folders, scoped and hyphenated names, tags with colons.
const projects: SelectableProject[] = [
  { name: 'app-web', root: 'apps/app-web', tags: ['type:app', 'scope:web'] },
  { name: 'app-web-e2e', root: 'apps/app-web-e2e', tags: ['type:e2e'] },
  { name: 'app-admin', root: 'apps/app-admin', tags: ['type:app', 'scope:admin'] },
  { name: 'ui', root: 'libs/ui', tags: ['type:lib'] },
  { name: '@org/utils', root: 'libs/utils', tags: ['type:lib'] },
  { name: 'utils_legacy', root: 'libs/legacy/utils', tags: [] },
  { name: 'shared-ui-kit', root: 'libs/shared/ui-kit', tags: ['type:lib', 'scope:shared'] },
  { name: 'api', root: 'services/api', tags: ['type:service'] },
  { name: 'worker', root: 'services/jobs/worker', tags: ['type:service'] },
];
// app-web → ui → @org/utils; app-admin → ui, @org/utils; api → @org/utils; worker → api
const dependencies = new Map<string, string[]>([
  ['app-web', ['ui']],
  ['app-web-e2e', ['app-web']],
  ['app-admin', ['ui', '@org/utils']],
  ['ui', ['@org/utils']],
  ['api', ['@org/utils']],
  ['worker', ['api']],
]);
const input: SelectionInput = { projects, dependencies, changed: new Map([['main', new Set(['ui'])]]) };
const nx = (...patterns: string[]) => findMatchingProjects(patterns, projects).sort();
const sel = (req: Parameters<typeof selectProjects>[0]) => selectProjects(req, input);

describe("Nx's project patterns", () => {
  it('takes exact names, including scoped ones', () => {
    expect(nx('ui', '@org/utils')).toEqual(['@org/utils', 'ui']);
  });
  it('matches a name that names no project as a whole word, as Nx does (hyphens are part of words, _ and / are not)', () => {
    expect(nx('utils')).toEqual(['@org/utils', 'utils_legacy']);
    expect(nx('web')).toEqual([]);
    expect(nx('UI')).toEqual(['ui']);
  });
  it('takes globs on names', () => {
    expect(nx('app-*')).toEqual(['app-admin', 'app-web', 'app-web-e2e']);
    expect(nx('*-e2e')).toEqual(['app-web-e2e']);
  });
  it('takes tags, exact and globbed', () => {
    expect(nx('tag:type:app')).toEqual(['app-admin', 'app-web']);
    expect(nx('tag:scope:*')).toEqual(['app-admin', 'app-web', 'shared-ui-kit']);
    expect(nx('tag:type')).toEqual([]);
  });
  it('falls through to directories when no name matches, one level per *', () => {
    expect(nx('services/*')).toEqual(['api']);
    expect(nx('services/**')).toEqual(['api', 'worker']);
    expect(nx('libs/shared/ui-kit')).toEqual(['shared-ui-kit']);
    expect(nx('directory:libs/*')).toEqual(['@org/utils', 'ui']);
  });
  it('does not fall through when names matched', () => {
    // `ui` is a name: the directory libs/ui is never consulted, and `name:` never falls through.
    expect(nx('name:libs/*')).toEqual([]);
  });
  it('applies ! in order, and a leading exclusion starts from every project', () => {
    expect(nx('!tag:type:app')).toEqual(['@org/utils', 'api', 'app-web-e2e', 'shared-ui-kit', 'ui', 'utils_legacy', 'worker']);
    expect(nx('tag:type:lib', '!ui')).toEqual(['@org/utils', 'shared-ui-kit']);
    expect(nx('!tag:type:lib', 'ui')).toContain('ui');
    expect(nx('app-*', '!*-e2e', 'app-web-e2e')).toEqual(['app-admin', 'app-web', 'app-web-e2e']);
  });
  it('reads an unknown label as part of nothing: `foo:ui` is the unlabelled `ui`', () => {
    expect(nx('foo:ui')).toEqual(['ui']);
  });
  it('selects nothing for empty patterns', () => {
    expect(nx('')).toEqual([]);
  });
});

describe("turbo's filters", () => {
  it('reads every form', () => {
    expect(parseFilter('...^ui...')).toMatchObject({ ok: true, value: { name: 'ui', dependents: true, dependencies: true, excludeSelf: true } });
    expect(parseFilter('!./apps/*')).toMatchObject({ ok: true, value: { exclude: true, directory: 'apps/*' } });
    expect(parseFilter('{./libs/*}')).toMatchObject({ ok: true, value: { directory: 'libs/*' } });
    expect(parseFilter('ui{libs/*}[main]')).toMatchObject({ ok: true, value: { name: 'ui', directory: 'libs/*', changed: { base: 'main' } } });
    expect(parseFilter('[main...HEAD~1]')).toMatchObject({ ok: true, value: { changed: { base: 'main', head: 'HEAD~1' } } });
    expect(parseFilter('...').ok).toBe(false);
    expect(parseFilter('{../x}').ok).toBe(false);
  });
  it('selects a name, its dependencies or its dependents', () => {
    expect(sel({ filter: ['ui'] }).projects).toEqual(['ui']);
    expect(sel({ filter: ['app-web...'] }).projects).toEqual(['@org/utils', 'app-web', 'ui']);
    expect(sel({ filter: ['app-web^...'] }).projects).toEqual(['@org/utils', 'ui']);
    expect(sel({ filter: ['...ui'] }).projects).toEqual(['app-admin', 'app-web', 'app-web-e2e', 'ui']);
    expect(sel({ filter: ['...^api'] }).projects).toEqual(['worker']);
  });
  it('takes * globs, and no unscoped name for a scoped one (as turbo 2)', () => {
    expect(sel({ filter: ['utils'] }).errors[0]?.kind).toBe('unknown-project');
    expect(sel({ filter: ['@org/utils'] }).projects).toEqual(['@org/utils']);
    expect(sel({ filter: ['app-*'] }).projects).toEqual(['app-admin', 'app-web', 'app-web-e2e']);
  });
  it('selects by directory, exactly or by glob', () => {
    expect(sel({ filter: ['./services/*'] }).projects).toEqual(['api']);
    expect(sel({ filter: ['./libs/ui'] }).projects).toEqual(['ui']);
    expect(sel({ filter: ['{services/**}'] }).projects).toEqual(['api', 'worker']);
  });
  it('selects what changed since a ref, and its dependents', () => {
    expect(sel({ filter: ['[main]'] }).projects).toEqual(['ui']);
    expect(sel({ filter: ['...[main]'] }).projects).toEqual(['app-admin', 'app-web', 'app-web-e2e', 'ui']);
  });
  it('unions filters and subtracts negations; negations alone start from everything', () => {
    expect(sel({ filter: ['api', 'ui'] }).projects).toEqual(['api', 'ui']);
    expect(sel({ filter: ['...ui', '!app-web-e2e'] }).projects).toEqual(['app-admin', 'app-web', 'ui']);
    expect(sel({ filter: ['!./apps/*', '!./libs/**'] }).projects).toEqual(['api', 'worker']);
  });
});

describe('one selection', () => {
  it('intersects -p with --filter and removes --exclude last', () => {
    expect(sel({ projects: ['tag:type:app'], filter: ['...ui'] }).projects).toEqual(['app-admin', 'app-web']);
    expect(sel({ projects: ['app-*'], exclude: ['*-e2e'] }).projects).toEqual(['app-admin', 'app-web']);
    expect(sel({ exclude: ['tag:type:service', 'libs/**'] }).projects).toEqual(['app-admin', 'app-web', 'app-web-e2e']);
  });
  it('keeps to the universe it is given', () => {
    expect(selectProjects({ projects: ['tag:type:app'] }, input, ['app-web', 'ui']).projects).toEqual(['app-web']);
  });
  it('makes an unknown plain name an error with the nearest name', () => {
    const r = sel({ projects: ['app-wbe'] });
    expect(r.errors).toEqual([{ kind: 'unknown-project', pattern: 'app-wbe', message: 'no project is named "app-wbe". Did you mean "app-web"?' }]);
    expect(sel({ exclude: ['!apii'] }).errors[0]?.message).toContain('Did you mean "api"?');
    expect(sel({ filter: ['uii...'] }).errors[0]?.message).toContain('Did you mean "ui"?');
  });
  it('warns for a pattern that matches nothing, as Nx does', () => {
    const r = sel({ projects: ['tag:nope', 'ui'] });
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual(['--projects "tag:nope" matched no project.']);
    expect(r.projects).toEqual(['ui']);
    expect(sel({ filter: ['./nowhere/*'] }).warnings).toHaveLength(1);
  });
  it('takes scoped names as plain names, and paths as patterns', () => {
    expect(isPlainNames({ projects: ['ui', '@org/utils'] })).toBe(true);
    expect(isPlainNames({ projects: ['libs/ui'] })).toBe(false);
    expect(isPlainNames({ projects: ['tag:type:lib'] })).toBe(false);
    expect(isPlainNames({ projects: ['ui'], exclude: ['api'] })).toBe(false);
    expect(sel({ projects: ['@org/utilz'] }).errors[0]?.message).toContain('Did you mean "@org/utils"?');
  });

  it('reports a filter it cannot read', () => {
    expect(sel({ filter: ['...'] }).errors[0]?.kind).toBe('invalid-filter');
  });
});
