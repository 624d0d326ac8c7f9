/**
 * Agreement with the reference: on a generated workspace, kiln's project list and its
 * package.json and import edges equal what the real `nx graph --file=out.json` (nx, pinned at the
 * repository root) reports. Where kiln deliberately differs, the second workspace shows how.
 *
 * Nx needs to be resolvable from the workspace, so its node_modules is a symlink to this
 * repository's (gitignored, so kiln does not list it). Nx analyses source files only when told to
 * (`pluginsConfig["@nx/js"].analyzeSourceFiles`, or @nx/js in the root package.json); kiln always does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkNodeModules, runNx } from './helpers/nx.js';
import { createRepo, type FileTree, type TempRepo } from './helpers/repo.js';

interface Graph {
  nodes: Record<string, { name: string; type: string; data: { root: string } }>;
  dependencies: Record<string, { source: string; target: string; type: string }[]>;
}

async function nxGraph(repo: TempRepo): Promise<Graph> {
  const r = await runNx(repo, ['graph', '--file=nx-out.json'], { NX_SKIP_NX_CACHE: 'true', NX_CACHE_PROJECT_GRAPH: 'false' });
  if (r.code !== 0) throw new Error(`nx graph failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return (JSON.parse(readFileSync(join(repo.dir, 'nx-out.json'), 'utf8')) as { graph: Graph }).graph;
}

function kilnGraph(repo: TempRepo): Graph {
  const r = repo.kiln(['graph', '--json']);
  if (r.code !== 0) throw new Error(`kiln graph failed (${r.code}):\n${r.stderr}`);
  return r.json<Graph>();
}

/** Workspace-internal edges only (Nx adds npm: nodes when a lockfile exists). */
const edges = (g: Graph) =>
  Object.values(g.dependencies)
    .flat()
    .filter((e) => !e.target.startsWith('npm:'))
    .map((e) => `${e.source} -${e.type}-> ${e.target}`)
    .sort();

const projects = (g: Graph) =>
  Object.values(g.nodes)
    .map((n) => `${n.name} ${n.type} ${n.data.root}`)
    .sort();

function withNodeModules(files: FileTree): TempRepo {
  const repo = createRepo({ ...files, '.gitignore': 'node_modules\n.nx\nnx-out.json\n' });
  linkNodeModules(repo);
  return repo;
}

/** A deterministic workspace: 30 packages, 6 project.json libraries reached through tsconfig paths, ~100 source files. */
function generatedWorkspace(): FileTree {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const files: FileTree = {
    'package.json': { name: 'agreement', private: true, workspaces: ['packages/*'] },
    'nx.json': { pluginsConfig: { '@nx/js': { analyzeSourceFiles: true } }, analytics: false },
    'tsconfig.base.json': { compilerOptions: { baseUrl: '.', paths: { '@libs/*': ['libs/*/src/index.ts'], '@util': ['libs/util-0/src/index.ts'] } } },
  };
  const pkgs = Array.from({ length: 30 }, (_, i) => `@agree/p${i}`);
  const libs = Array.from({ length: 6 }, (_, i) => `util-${i}`);
  const ranges = ['*', '^1.0.0', '~1.0.0', '1.0.0', 'workspace:*', 'workspace:^', '>=1.0.0'];
  const kinds = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
  for (let i = 0; i < libs.length; i++) {
    files[`libs/${libs[i]}/project.json`] = { name: libs[i], projectType: 'library', ...(i === 5 && { implicitDependencies: ['@agree/p0', 'tag:core'] }), ...(i === 4 && { implicitDependencies: ['!util-3', 'util-*', '!util-0'] }) };
    files[`libs/${libs[i]}/src/index.ts`] = i > 0 ? `export * from '@libs/${libs[i - 1]}';\n` : 'export const util = 1;\n';
  }
  for (let i = 0; i < pkgs.length; i++) {
    const pkg: Record<string, unknown> = {
      name: pkgs[i],
      version: '1.0.0',
      ...(i % 4 !== 3 ? { exports: { '.': './index.js', './*': './src/*.js' } } : { main: 'index.js' }),
      ...(i % 10 === 0 && { nx: { tags: ['core'] } }),
    };
    for (let k = 0; k < 2; k++) {
      const kind = pick(kinds);
      const target = pick(pkgs);
      pkg[kind] = { ...(pkg[kind] as object), [target]: pick(ranges), lodash: '^4.0.0' };
    }
    files[`packages/p${i}/package.json`] = pkg;
    for (let f = 0; f < 3; f++) {
      const a = pick(pkgs);
      const b = pick(pkgs);
      const c = pick(pkgs);
      const lines = [
        `// p${i}/f${f}: import '${pick(pkgs)}' in a comment is not an edge`,
        `import { x } from '${a}';`,
        `import type { T } from '${b}';`,
        `const s = "require('${pick(pkgs)}') in a string";`,
        `export const lazy = () => import('${c}');`,
        f === 0 ? `export * from '@libs/${pick(libs)}';` : `import { helper } from './f${f - 1}';`,
        f === 1 ? `const r = require('${pick(pkgs)}');` : `/* import '${pick(pkgs)}' */`,
        f === 2 && (i + 1) % 4 !== 3 ? `import { deep } from '${pkgs[(i + 1) % pkgs.length]}/deep';` : '',
        f === 2 ? `import { u } from '@util';` : '',
        i % 7 === 0 && f === 0 ? `import { sibling } from '../../p${(i + 2) % pkgs.length}/src/f0';` : '',
        `export const t = \`template import('${pick(pkgs)}') \${x}\`;`,
      ];
      files[`packages/p${i}/src/f${f}.ts`] = `${lines.filter(Boolean).join('\n')}\n`;
    }
  }
  return files;
}

describe('agreement with nx graph', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = withNodeModules(generatedWorkspace());
  });
  afterAll(() => repo.cleanup());

  it('kiln finds the same projects and the same typed edges as nx', async () => {
    const nx = await nxGraph(repo);
    const kiln = kilnGraph(repo);
    expect(projects(kiln)).toEqual(projects(nx));
    expect(projects(kiln)).toHaveLength(36);
    const nxEdges = edges(nx);
    expect(nxEdges.length).toBeGreaterThan(150);
    expect(nxEdges.some((e) => e.includes('-dynamic->'))).toBe(true);
    expect(nxEdges.some((e) => e.includes('-implicit->'))).toBe(true);
    expect(nxEdges).toContain('util-4 -implicit-> util-5');
    expect(nxEdges).not.toContain('util-4 -static-> util-3');
    expect(edges(kiln)).toEqual(nxEdges);
  });
});

describe('where kiln deliberately differs from nx', () => {
  let repo: TempRepo;
  let nx: Graph;
  let kiln: Graph;
  beforeAll(async () => {
    repo = withNodeModules({
      // No pluginsConfig: Nx reads only package.json here; kiln reads imports too.
      'package.json': { name: 'differences', private: true, workspaces: ['packages/*'] },
      'nx.json': { analytics: false },
      'packages/app/package.json': {
        name: '@diff/app',
        version: '1.0.0',
        // A range the workspace version (1.0.0) does not satisfy: npm would fetch 2.x from the
        // registry, Nx sees an external package; kiln links the workspace package anyway.
        dependencies: { '@diff/versioned': '^2.0.0', '@diff/linked': '*' },
      },
      'packages/app/src/main.ts': "import { a } from '@diff/no-entry';\nimport { b } from '@diff/linked/sub';\n",
      'packages/versioned/package.json': { name: '@diff/versioned', version: '1.0.0', main: 'index.js' },
      // Neither main nor exports: Nx resolves imports of it only once node_modules is installed.
      'packages/no-entry/package.json': { name: '@diff/no-entry', version: '1.0.0' },
      // main but no "./*" export: Nx does not resolve the subpath `@diff/linked/sub` without node_modules.
      'packages/linked/package.json': { name: '@diff/linked', version: '1.0.0', main: 'index.js' },
    });
    nx = await nxGraph(repo);
    kiln = kilnGraph(repo);
  });
  afterAll(() => repo.cleanup());

  it('both agree on the projects and on the package.json edge with a satisfied range', () => {
    expect(projects(kiln)).toEqual(projects(nx));
    expect(edges(nx)).toEqual(['@diff/app -static-> @diff/linked']);
  });

  it('kiln links a workspace package whatever the declared range; nx only when the range is satisfied', () => {
    expect(edges(kiln)).toContain('@diff/app -static-> @diff/versioned');
    expect(edges(nx)).not.toContain('@diff/app -static-> @diff/versioned');
  });

  it('kiln reads imports without being told to, and resolves packages by name without main/exports or node_modules', () => {
    expect(edges(kiln)).toContain('@diff/app -static-> @diff/no-entry');
    expect(edges(nx)).not.toContain('@diff/app -static-> @diff/no-entry');
  });

  it('kiln resolves subpath imports by package name; nx needs an "exports" entry for the subpath', () => {
    // The edge app → linked exists in both (from package.json); kiln also sees it in main.ts.
    expect(edges(kiln)).toEqual(['@diff/app -static-> @diff/linked', '@diff/app -static-> @diff/no-entry', '@diff/app -static-> @diff/versioned']);
  });
});
