import { describe, expect, it } from 'vitest';
import { buildWorkspace } from '../workspace/index.js';
import { buildProjectGraph, declaredRange, ProjectGraphBuilder, transitiveDependents } from './build.js';
import { findCycles, topologicalOrder } from './cycles.js';
import { scanImports } from './scan.js';
import type { ProjectGraph } from './types.js';

type Tree = Record<string, string | object>;

/** Builds the graph of an in-memory workspace, scanning every source file of the tree. */
function graphOf(tree: Tree) {
  const texts = new Map(Object.entries(tree).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  const ws = buildWorkspace({ root: '/ws', files: [...texts.keys()], read: (p) => texts.get(p) });
  if (!ws.ok) throw new Error(ws.error.map((d) => d.message).join('\n'));
  const imports = new Map([...texts].filter(([f]) => /\.[cm]?[jt]sx?$/.test(f)).map(([f, t]) => [f, scanImports(t)] as const));
  return buildProjectGraph({ projects: ws.value.projects, ...(ws.value.tsconfigPaths && { tsconfigPaths: ws.value.tsconfigPaths }), imports });
}

function graph(tree: Tree): ProjectGraph {
  const r = graphOf(tree);
  if (!r.ok) throw new Error(r.error.map((d) => d.message).join('\n'));
  return r.value;
}

const edges = (g: ProjectGraph) => [...g.dependencies.values()].flat().map((e) => `${e.source} -${e.type}-> ${e.target}`);
const pkg = (name: string, extra: object = {}) => ({ name, version: '1.0.0', ...extra });
const base = { 'package.json': { name: 'root', workspaces: ['packages/*', 'apps/*'] } };

describe('edges from package.json', () => {
  it('all four dependency kinds, any range or workspace:, are static edges; others are external', () => {
    const g = graph({
      ...base,
      'packages/a/package.json': pkg('a', {
        dependencies: { b: '^9.0.0', lodash: '^4.17.0' },
        devDependencies: { c: 'workspace:*', vitest: '^3.0.0' },
        peerDependencies: { d: '*', lodash: '>=4' },
        optionalDependencies: { e: 'file:../e' },
      }),
      'packages/b/package.json': pkg('b'),
      'packages/c/package.json': pkg('c'),
      'packages/d/package.json': pkg('d'),
      'packages/e/package.json': pkg('e'),
    });
    expect(edges(g)).toEqual(['a -static-> b', 'a -static-> c', 'a -static-> d', 'a -static-> e']);
    expect(g.external.get('a' as never)).toEqual([
      { package: 'lodash', range: '^4.17.0', via: ['dependencies', 'peerDependencies'] },
      { package: 'vitest', range: '^3.0.0', via: ['devDependencies'] },
    ]);
  });
});

describe('edges from imports', () => {
  const tree: Tree = {
    ...base,
    'tsconfig.base.json': { compilerOptions: { paths: { '@alias/util': ['packages/util/src/index.ts'], '@alias/*': ['packages/*/src'], vendored: ['node_modules/vendored/index.js'] } } },
    'packages/connection/package.json': pkg('@acme/connection'),
    'packages/connection/src/pool.ts': 'export const pool = 1;',
    'packages/util/project.json': { name: 'util' },
    'packages/log/project.json': { name: 'log' },
    'packages/lazy/package.json': pkg('@acme/lazy'),
    'apps/invoice/package.json': pkg('invoice'),
    'apps/invoice/src/main.ts': [
      "import { pool } from '@acme/connection/pool';",
      "import { u } from '@alias/util';",
      "import { l } from '@alias/log';",
      "import { readFile } from 'node:fs';",
      "import path from 'path';",
      "import express from 'express';",
      "import type { T } from '@types/thing';",
      "const lazy = () => import('@acme/lazy');",
      "import local from './local';",
      "import sibling from '../../payroll/src/x';",
      "import v from 'vendored';",
    ].join('\n'),
    'apps/payroll/package.json': pkg('payroll'),
    'apps/payroll/src/x.ts': "export * from '@acme/lazy/sub'; const c = require('@acme/connection');",
  };

  it('resolves by package name with subpaths, tsconfig paths, relative paths; node built-ins are nothing', () => {
    const g = graph(tree);
    expect(edges(g)).toEqual([
      'invoice -static-> @acme/connection',
      'invoice -dynamic-> @acme/lazy',
      'invoice -static-> log',
      'invoice -static-> payroll',
      'invoice -static-> util',
      'payroll -static-> @acme/connection',
      'payroll -static-> @acme/lazy',
    ]);
    expect(g.external.get('invoice' as never)).toEqual([
      { package: '@types/thing', via: ['import'] },
      { package: 'express', via: ['import'] },
    ]);
  });

  it('keeps a static and a dynamic edge to the same project apart, and never a self edge', () => {
    const g = graph({
      ...base,
      'packages/a/package.json': pkg('a'),
      'packages/a/x.ts': "import b from 'b'; import('b'); import self from 'a';",
      'packages/b/package.json': pkg('b'),
    });
    expect(edges(g)).toEqual(['a -static-> b', 'a -dynamic-> b']);
  });

  it('imports into the root project count only from the root project itself (as Nx)', () => {
    const g = graph({
      'package.json': { name: 'root', nx: {}, workspaces: ['packages/*'] },
      'tools/script.ts': "import a from 'a';",
      'packages/a/package.json': pkg('a'),
      'packages/a/x.ts': "import t from '../../tools/script'; import r from 'root';",
    });
    expect(edges(g)).toEqual(['root -static-> a']);
  });

  it('dependents are the reverse edges', () => {
    const g = graph(tree);
    expect(g.dependents.get('@acme/connection' as never)!.map((e) => e.source)).toEqual(['invoice', 'payroll']);
    expect(g.dependents.get('invoice' as never)).toEqual([]);
    expect([...transitiveDependents(g, ['@acme/lazy' as never])]).toEqual([
      ['invoice', '@acme/lazy'],
      ['payroll', '@acme/lazy'],
    ]);
  });
});

describe('implicitDependencies', () => {
  const tree: Tree = {
    ...base,
    'packages/a/package.json': pkg('a', { dependencies: { b: '*', c: '*' } }),
    'packages/a/project.json': { implicitDependencies: ['tag:shared', 'lib-*', '!c', '!b'] },
    'packages/b/package.json': pkg('b'),
    'packages/c/package.json': pkg('c', { nx: { tags: ['shared'] } }),
    'packages/s/package.json': pkg('s', { nx: { tags: ['shared'] } }),
    'packages/lib-x/project.json': {},
    'packages/lib-y/project.json': {},
  };

  it('names, globs and tag: add implicit edges; ! removes detected edges and excludes matches', () => {
    expect(edges(graph(tree))).toEqual(['a -implicit-> lib-x', 'a -implicit-> lib-y', 'a -implicit-> s']);
  });

  it('globs over roots', () => {
    const g = graph({ ...base, 'packages/a/project.json': { implicitDependencies: ['apps/*'] }, 'apps/web/project.json': { name: 'site' } });
    expect(edges(g)).toEqual(['a -implicit-> site']);
  });

  it('an unknown name is an error that suggests the nearest', () => {
    const r = graphOf({ ...base, 'packages/a/project.json': { implicitDependencies: ['lib-z'] }, 'packages/lib-x/project.json': {} });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error[0]!.code).toBe('unknown-implicit-dependency');
      expect(r.error[0]!.message).toContain('Did you mean "lib-x"?');
      expect(r.error[0]!.location?.file).toBe('packages/a/project.json');
    }
  });
});

describe('cycles and order', () => {
  it('allows cycles in the project graph and reports each as a loop', () => {
    const g = graph({
      ...base,
      'packages/a/package.json': pkg('a', { dependencies: { b: '*' } }),
      'packages/b/package.json': pkg('b', { dependencies: { c: '*' } }),
      'packages/c/package.json': pkg('c', { dependencies: { a: '*' } }),
      'packages/d/package.json': pkg('d', { dependencies: { a: '*' } }),
    });
    expect(g.cycles).toEqual([['a', 'b', 'c']]);
  });

  it('findCycles: self loops, several components, shortest loop, input order does not matter', () => {
    const edges: Record<string, string[]> = { x: ['x'], a: ['b'], b: ['a', 'c'], c: ['a'], q: ['r'], r: ['q'], z: [] };
    expect(findCycles(Object.keys(edges), (n) => edges[n]!)).toEqual([['a', 'b'], ['q', 'r'], ['x']]);
    expect(findCycles(Object.keys(edges).reverse(), (n) => edges[n]!)).toEqual([['a', 'b'], ['q', 'r'], ['x']]);
  });

  it('topologicalOrder puts dependencies first and is deterministic with cycles', () => {
    const deps: Record<string, string[]> = { app: ['lib', 'util'], lib: ['util'], util: [], loop1: ['loop2'], loop2: ['loop1'] };
    const order = topologicalOrder(Object.keys(deps), (n) => deps[n]!);
    expect(order.indexOf('util')).toBeLessThan(order.indexOf('lib'));
    expect(order.indexOf('lib')).toBeLessThan(order.indexOf('app'));
    expect(order).toEqual(topologicalOrder(Object.keys(deps).reverse(), (n) => deps[n]!));
    expect(order).toHaveLength(5);
  });

  it('handles a 20,000-long chain without overflowing the stack', () => {
    const n = 20_000;
    const next = (s: string) => (Number(s) + 1 < n ? [String(Number(s) + 1)] : ['0']);
    const nodes = Array.from({ length: n }, (_, i) => String(i));
    expect(findCycles(nodes, next)[0]).toHaveLength(n);
    expect(topologicalOrder(nodes, (s) => (Number(s) + 1 < n ? [String(Number(s) + 1)] : []))[0]).toBe(String(n - 1));
  });
});

describe('imports fed as a compact table', () => {
  it('gives the same graph as file by file, nested projects and escaping relative paths included', () => {
    const tree: Tree = {
      ...base,
      'project.json': { name: 'root' },
      'tools/x.ts': "import '../packages/a/src/i';",
      'packages/a/package.json': pkg('a'),
      'packages/a/src/i.ts': "import './inner/deep'; import { b } from 'b/sub'; import('c'); import './../../b/src/x'; import 'lodash/fp';",
      'packages/a/src/inner/project.json': { name: 'a-inner' },
      'packages/a/src/inner/deep.ts': "import '../i'; import './self';",
      'packages/b/package.json': pkg('b'),
      'packages/b/src/x.ts': "import '.'; import './..'; import('./y'); import 'c'; import '../../../tools/x';",
      'packages/c/package.json': pkg('c'),
      'packages/c/src/z.ts': "export const z = require('b');",
    };
    const texts = new Map(Object.entries(tree).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    const ws = buildWorkspace({ root: '/ws', files: [...texts.keys()], read: (p) => texts.get(p) });
    if (!ws.ok) throw new Error(ws.error.map((d) => d.message).join('\n'));
    const sources = [...texts.keys()].filter((f) => f.endsWith('.ts'));
    const specifiers: string[] = [];
    const data: number[] = [];
    sources.forEach((f, i) => {
      const found = scanImports(texts.get(f)!);
      data.push(i, found.static.length, found.dynamic.length);
      for (const s of [...found.static, ...found.dynamic]) {
        if (!specifiers.includes(s)) specifiers.push(s);
        data.push(specifiers.indexOf(s));
      }
    });
    const builder = new ProjectGraphBuilder(ws.value.projects);
    builder.addImportTables([{ files: sources, specifiers, data: Int32Array.from(data) }]);
    const fromTable = builder.build();
    if (!fromTable.ok) throw new Error('table build failed');
    const byFile = graph(tree);
    expect(edges(fromTable.value)).toEqual(edges(byFile));
    expect(edges(byFile)).toEqual(
      expect.arrayContaining(['a -static-> a-inner', 'a-inner -static-> a', 'a -static-> b', 'a -dynamic-> c', 'b -static-> c', 'c -static-> b']),
    );
    expect(fromTable.value.external.get('a' as never)!.map((e) => e.package)).toEqual(['lodash']);
    expect(fromTable.value.external).toEqual(byFile.external);
  });
});

describe('declaredRange', () => {
  it('takes the range of the most important kind, as the graph records it', () => {
    const pj = { dependencies: { dependencies: {}, devDependencies: { a: '^2' }, peerDependencies: { a: '^3', b: '^1' }, optionalDependencies: { a: '^4', b: '^5' } } };
    expect(declaredRange(pj, 'a')).toBe('^2');
    expect(declaredRange(pj, 'b')).toBe('^1');
    expect(declaredRange(pj, 'c')).toBeUndefined();
    expect(declaredRange(undefined, 'a')).toBeUndefined();
  });
});
