import { describe, expect, it } from 'vitest';
import { createTaskGraph, normaliseDependsOn, schedule, topologicalOrder, type TaskGraphWorkspace } from './index.js';

const ws = (targets: Record<string, Record<string, { dependsOn?: unknown[] }>>, dependencies: Record<string, string[]>): TaskGraphWorkspace => ({
  projects: Object.fromEntries(Object.entries(targets).map(([name, t]) => [name, { root: `p/${name}`, targets: t as never }])),
  dependencies,
});

describe('normaliseDependsOn', () => {
  it('reads every Nx form', () => {
    expect(normaliseDependsOn('build')).toEqual({ target: 'build', projects: 'self' });
    expect(normaliseDependsOn('^build')).toEqual({ target: 'build', projects: 'dependencies' });
    expect(normaliseDependsOn('lib:build')).toEqual({ target: 'build', projects: ['lib'] });
    expect(normaliseDependsOn({ target: 'build', dependencies: true })).toEqual({ target: 'build', projects: 'dependencies' });
    expect(normaliseDependsOn({ target: 'build', projects: 'lib' })).toEqual({ target: 'build', projects: ['lib'] });
    expect(normaliseDependsOn({ target: 'build', projects: ['a', 'b'], params: 'forward' })).toEqual({ target: 'build', projects: ['a', 'b'] });
    expect(normaliseDependsOn({ target: 'build', projects: 'self' } as never)).toEqual({ target: 'build', projects: 'self' });
    expect(normaliseDependsOn({ target: 'build' })).toEqual({ target: 'build', projects: 'self' });
  });
});

describe('createTaskGraph', () => {
  const w = ws(
    {
      app: { build: { dependsOn: ['^build', 'codegen'] }, codegen: {}, test: { dependsOn: ['build', 'tools:lint'] } },
      mid: { test: {} }, // no build: ^build passes through to its dependencies
      lib: { build: { dependsOn: [{ target: 'prepare', projects: ['tools'] }] } },
      tools: { prepare: {}, lint: {} },
    },
    { app: ['mid'], mid: ['lib'], lib: [], tools: [] },
  );

  it('follows ^, self, project:target and object forms', () => {
    const r = createTaskGraph(w, { targets: ['test'], projects: ['app'] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.dependencies).toEqual({
      'app:build': ['app:codegen', 'lib:build'],
      'app:codegen': [],
      'app:test': ['app:build', 'tools:lint'],
      'lib:build': ['tools:prepare'],
      'tools:lint': [],
      'tools:prepare': [],
    });
    expect(r.value.requested).toEqual(['app:test']);
    const order: readonly string[] = topologicalOrder(r.value);
    expect(order.indexOf('lib:build')).toBeLessThan(order.indexOf('app:build'));
    expect(order.indexOf('tools:prepare')).toBeLessThan(order.indexOf('lib:build'));
  });

  it('runs a target in every project that has it when no project is named', () => {
    const r = createTaskGraph(w, { targets: ['build'] });
    expect(r.ok && r.value.requested).toEqual(['app:build', 'lib:build']);
  });

  it('reports a cycle with the whole loop', () => {
    const c = ws({ a: { build: { dependsOn: ['^build'] } }, b: { build: { dependsOn: ['c:build'] } }, c: { build: { dependsOn: ['a:build'] } } }, { a: ['b'], b: [], c: [] });
    const r = createTaskGraph(c, { targets: ['build'], projects: ['a'] });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error[0]!.code).toBe('task-cycle');
      expect(r.error[0]!.message).toContain('a:build → b:build → c:build → a:build');
    }
  });

  it('suggests the nearest project and target', () => {
    const p = createTaskGraph(w, { targets: ['build'], projects: ['ap'] });
    expect(!p.ok && p.error[0]!.message).toContain('Did you mean "app"?');
    const t = createTaskGraph(w, { targets: ['buidl'], projects: ['app'] });
    expect(!t.ok && t.error[0]!.message).toContain('Did you mean "build"?');
  });
});

describe('schedule', () => {
  it('runs dependencies first, skips dependents of a failure, and respects the limit', async () => {
    const g = createTaskGraph(
      ws({ a: { build: { dependsOn: ['^build'] } }, b: { build: { dependsOn: ['^build'] } }, c: { build: {} }, d: { build: {} } }, { a: ['b'], b: ['c'], c: [], d: [] }),
      { targets: ['build'] },
    );
    if (!g.ok) throw new Error('graph');
    const started: string[] = [];
    let now = 0;
    let max = 0;
    const outcomes = await schedule(
      g.value,
      async (id, execute) => {
        const release = (await execute.acquire())!;
        started.push(id);
        max = Math.max(max, ++now);
        await new Promise((r) => setImmediate(r));
        now--;
        release();
        return { status: id === 'b:build' ? 'failure' : 'success', cache: 'miss', durationMs: 1 };
      },
      { parallel: 2, bail: false },
    );
    expect(max).toBeLessThanOrEqual(2);
    expect(started).not.toContain('a:build');
    expect(Object.fromEntries(outcomes.map((o) => [o.id, o.status]))).toEqual({ 'a:build': 'skipped', 'b:build': 'failure', 'c:build': 'success', 'd:build': 'success' });
  });

  it('with bail, starts nothing after the first failure', async () => {
    const g = createTaskGraph(ws({ a: { build: {} }, b: { build: {} }, c: { build: {} } }, { a: [], b: [], c: [] }), { targets: ['build'] });
    if (!g.ok) throw new Error('graph');
    const started: string[] = [];
    const outcomes = await schedule(
      g.value,
      async (id, execute) => {
        const release = await execute.acquire();
        if (!release) return { status: 'skipped', cache: 'miss', durationMs: 0 };
        started.push(id);
        await new Promise((r) => setImmediate(r));
        release();
        return { status: id === 'a:build' ? 'failure' : 'success', cache: 'miss', durationMs: 1 };
      },
      { parallel: 1, bail: true },
    );
    expect(started).toEqual(['a:build']);
    expect(outcomes.map((o) => o.status)).toEqual(['failure', 'skipped', 'skipped']);
  });
});

describe('task ids with colons', () => {
  const w = ws(
    {
      'my:proj': { build: { dependsOn: ['gen:all', 'my:lint'] }, 'gen:all': {} },
      my: { lint: {} },
      a: { 'build:prod': { dependsOn: ['my:proj:build'] }, build: {} },
    },
    { 'my:proj': [], my: [], a: [] },
  );
  it('builds the graph for a project whose name holds a colon', () => {
    const r = createTaskGraph(w, { targets: ['build'], projects: ['my:proj'] });
    expect(r.ok && r.value.dependencies).toEqual({ 'my:lint': [], 'my:proj:build': ['my:lint', 'my:proj:gen:all'], 'my:proj:gen:all': [] });
    expect(r.ok && Object.values(r.value.tasks).map((t) => `${t.project} / ${t.target}`)).toEqual(['my / lint', 'my:proj / build', 'my:proj / gen:all']);
  });
  it('reads dependsOn strings as Nx does: a project\'s task, else a target of the same project', () => {
    const ctx = { self: 'my:proj', targetsOf: (p: string) => w.projects[p]?.targets };
    expect(normaliseDependsOn('gen:all', ctx)).toEqual({ target: 'gen:all', projects: 'self' });
    expect(normaliseDependsOn('my:lint', ctx)).toEqual({ target: 'lint', projects: ['my'] });
    expect(normaliseDependsOn('my:proj:build', ctx)).toEqual({ target: 'build', projects: ['my:proj'] });
    expect(normaliseDependsOn('nope:build', ctx)).toEqual({ target: 'build', projects: ['nope'] });
    const r = createTaskGraph(w, { targets: ['build:prod'] });
    expect(r.ok && r.value.dependencies['a:build:prod']).toEqual(['my:proj:build']);
  });
  it('reports two tasks with one id', () => {
    const clash = ws({ a: { 'b:c': { dependsOn: ['a:b:c'] } }, 'a:b': { c: {} } }, { a: [], 'a:b': [] });
    const r = createTaskGraph(clash, { targets: ['c', 'b:c'] });
    expect(!r.ok && r.error.map((d) => d.code)).toContain('ambiguous-task');
  });
});
