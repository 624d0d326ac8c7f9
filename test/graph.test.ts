/** End to end: `kiln graph` on real git repositories, with the built binary. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from './helpers/repo.js';

interface NxGraph {
  nodes: Record<string, { name: string; type: string; data: { root: string; tags: string[]; targets: Record<string, unknown> } }>;
  dependencies: Record<string, { source: string; target: string; type: string }[]>;
}

const edgeList = (g: NxGraph) =>
  Object.values(g.dependencies)
    .flat()
    .map((e) => `${e.source} -${e.type}-> ${e.target}`);

describe('kiln graph', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo({
      'nx.json': { targetDefaults: { build: { dependsOn: ['^build'], cache: true } } },
      'package.json': { name: 'acme', private: true, workspaces: ['libs/*', 'services/*'] },
      'tsconfig.base.json': { compilerOptions: { paths: { '@shared/*': ['libs/*/src/index.ts'] } } },
      'libs/connection/package.json': { name: '@acme/connection', version: '1.0.0', main: 'src/index.js', scripts: { build: 'tsc' } },
      'libs/connection/src/index.ts': "import pg from 'pg';\nexport const connect = () => pg;\n",
      'libs/connection/src/pool.ts': 'export const pool = 1;\n',
      'libs/logging/project.json': { name: 'logging' },
      'libs/logging/src/index.ts': 'export const log = console.log;\n',
      'services/invoice/package.json': { name: 'invoice', version: '1.0.0', dependencies: { '@acme/connection': 'workspace:*' } },
      'services/invoice/src/main.ts': "import { pool } from '@acme/connection/pool';\nimport { log } from '@shared/logging';\n// import 'payroll';\nconst p = () => import('payroll');\n",
      'services/payroll/package.json': { name: 'payroll', version: '1.0.0' },
      'services/payroll/src/main.js': "const { connect } = require('@acme/connection');\nconst s = \"import 'invoice'\";\n",
      'services/payroll/project.json': { implicitDependencies: ['invoice'] },
    });
  });
  afterAll(() => repo.cleanup());

  it('--json prints Nx ProjectGraph shape with typed edges', () => {
    const r = repo.kiln(['graph', '--json']);
    expect(r.code).toBe(0);
    const g = r.json<NxGraph>();
    expect(Object.keys(g.nodes).sort()).toEqual(['@acme/connection', 'invoice', 'logging', 'payroll']);
    expect(g.nodes['@acme/connection']).toMatchObject({ name: '@acme/connection', type: 'lib', data: { root: 'libs/connection', name: '@acme/connection' } });
    expect(g.nodes['@acme/connection']!.data.targets.build).toMatchObject({ executor: 'nx:run-script', dependsOn: ['^build'], cache: true });
    expect(edgeList(g)).toEqual([
      'invoice -static-> @acme/connection',
      'invoice -static-> logging',
      'invoice -dynamic-> payroll',
      'payroll -static-> @acme/connection',
      'payroll -implicit-> invoice',
    ]);
  });

  it('human output shows edges and the cycle', () => {
    const r = repo.kiln(['graph']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('invoice → @acme/connection, logging, payroll (dynamic)');
    expect(r.stdout).toContain('cycle: invoice → payroll → invoice');
    expect(r.stdout).toContain('4 projects, 5 edges, 1 cycle');
  });

  it('PROJECT shows its dependencies, dependents and npm packages', () => {
    const r = repo.kiln(['graph', '@acme/connection']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dependents:    invoice, payroll');
    expect(r.stdout).toContain('npm packages:  pg');
  });

  it('an unknown PROJECT suggests the nearest', () => {
    const r = repo.kiln(['graph', 'invoic']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Did you mean "invoice"?');
  });

  it('--file writes JSON and a self-contained HTML page', () => {
    const json = repo.kiln(['graph', '--file', 'out.json']);
    expect(json.code).toBe(0);
    expect(json.stdout).toBe('');
    const fromFile = JSON.parse(readFileSync(join(repo.dir, 'out.json'), 'utf8')) as NxGraph;
    expect(fromFile).toEqual(repo.kiln(['graph', '--json']).json());
    const html = repo.kiln(['graph', '--file', 'graph.html']);
    expect(html.code).toBe(0);
    const page = readFileSync(join(repo.dir, 'graph.html'), 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('"@acme/connection"');
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    const bad = repo.kiln(['graph', '--file', 'graph.svg']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--file must end in .json or .html');
  });

  it('the page carries the focus, owners, affected projects and the task graph it was asked for', () => {
    const r = repo.kiln(['graph', 'invoice', '--file', 'page.html', '--affected', '--base', 'HEAD', '-t', 'build']);
    expect(r.code, r.stderr).toBe(0);
    const page = readFileSync(join(repo.dir, 'page.html'), 'utf8');
    const data = JSON.parse(/<script type="application\/json" id="kiln-data">(.*?)<\/script>/s.exec(page)![1]!) as {
      focus: string;
      affected: { projects: Record<string, string> };
      tasks: { target: string; nodes: { id: string; status: string }[] };
      projects: { name: string; owners: string[] }[];
    };
    expect(data.focus).toBe('invoice');
    expect(data.affected.projects).toEqual({});
    expect(data.tasks.target).toBe('build');
    expect(data.tasks.nodes.map((t) => `${t.id} ${t.status}`)).toEqual(['@acme/connection:build never']);
    expect(data.projects.map((p) => p.name).sort()).toEqual(Object.keys(repo.kiln(['graph', '--json']).json<NxGraph>().nodes).sort());
  });

  it('--affected and -t need the page; an unknown focus suggests the nearest name', () => {
    const t = repo.kiln(['graph', '-t', 'build']);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('add --file graph.html');
    const unknown = repo.kiln(['graph', 'invoce', '--file', 'x.html', '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.json<{ error: { code: string; message: string } }>().error.message).toContain('Did you mean "invoice"?');
  });

  it('the same graph when the scan is split over worker threads', () => {
    const single = repo.kiln(['graph', '--json'], { env: { KILN_SCAN_THREADS: '1' } });
    const threaded = repo.kiln(['graph', '--json'], { env: { KILN_SCAN_THREADS: '3' } });
    expect(threaded.code).toBe(0);
    expect(threaded.json()).toEqual(single.json());
    expect(edgeList(threaded.json())).toHaveLength(5);
  });

  it('untracked files count; deleted tracked files are skipped', () => {
    repo.write({ 'libs/logging/src/extra.ts': "import '@acme/connection';\n" });
    repo.git('rm', '-q', 'services/payroll/src/main.js');
    const g = repo.kiln(['graph', '--json']).json<NxGraph>();
    expect(edgeList(g)).toContain('logging -static-> @acme/connection');
    expect(g.dependencies.payroll).toEqual([{ source: 'payroll', target: 'invoice', type: 'implicit' }]);
    repo.git('checkout', '-q', 'HEAD', '--', 'services/payroll/src/main.js');
  });

  it('an unknown implicit dependency is a configuration error', () => {
    const other = createRepo({ 'package.json': { name: 'r', workspaces: ['p/*'] }, 'p/a/package.json': { name: 'a', nx: { implicitDependencies: ['bb'] } }, 'p/b/package.json': { name: 'b' } });
    try {
      const r = other.kiln(['graph']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('project "a" lists "bb" in implicitDependencies, but no project has that name.');
    } finally {
      other.cleanup();
    }
  });
});
