#!/usr/bin/env node
/**
 * Scale benchmark for the project graph: generates a workspace of 5,000 projects and 100,000
 * source files (a git repository, as kiln expects) and times `kiln graph --json` cold (a fresh
 * process: no daemon, no cache), with its peak memory.
 *
 *   node tools/bench/graph-scale.mjs [--projects 5000] [--files 100000] [--runs 3] [--dir DIR]
 *
 * Exports `generateScaleWorkspace(dir, {projects, files})` and `measureGraph(dir)` for the
 * benchmark suite. Not a test: figures depend on the machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const kilnBin = resolve(here, '../../packages/cli/bin/kiln.js');

/** A deterministic pseudo-random sequence (so every run generates the same workspace). */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Writes the workspace: packages/p<i>/ with a package.json naming 2-5 lower-numbered packages
 * (its neighbours), and `files / projects` source files that import those neighbours (some with
 * subpaths, some dynamically), now and then another package, npm packages and relative files,
 * and hold comments, strings and template literals with decoys the scanner must skip.
 */
export function generateScaleWorkspace(dir, { projects = 5000, files = 100000 } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const random = rng(42);
  const pick = (n) => Math.floor(random() * n);
  const perProject = Math.max(1, Math.round(files / projects));
  const name = (i) => `@scale/p${i}`;
  const externals = ['react', 'lodash', 'express', 'zod', 'date-fns', '@aws-sdk/client-s3', 'pg', 'rxjs'];
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scale', private: true, workspaces: ['packages/*'] }, null, 2));
  writeFileSync(join(dir, 'nx.json'), JSON.stringify({ targetDefaults: { build: { dependsOn: ['^build'], cache: true } } }, null, 2));
  writeFileSync(join(dir, '.gitignore'), 'node_modules\n');
  for (let i = 0; i < projects; i++) {
    const root = join(dir, 'packages', `p${i}`);
    mkdirSync(join(root, 'src'), { recursive: true });
    const deps = {};
    const neighbours = [];
    if (i > 0) for (let k = 0; k < 2 + pick(4); k++) neighbours.push(pick(i));
    for (const n of neighbours) deps[name(n)] = '*';
    deps[externals[pick(externals.length)]] = '^1.0.0';
    const near = () => (neighbours.length > 0 && random() < 0.95 ? neighbours[pick(neighbours.length)] : pick(Math.max(i, 1)));
    writeFileSync(
      join(root, 'package.json'),
      JSON.stringify({ name: name(i), version: '1.0.0', main: 'src/f0.ts', scripts: { build: 'tsc -b', test: 'vitest run' }, dependencies: deps }, null, 2),
    );
    for (let f = 0; f < perProject; f++) {
      const lines = [`// p${i}/f${f}: generated for the kiln graph scale benchmark`, "/* import 'decoy-in-comment' */"];
      if (i > 0) for (let k = 0; k < 3; k++) lines.push(`import { v${k} } from '${name(near())}${k === 0 ? '/src/f1' : ''}';`);
      lines.push(`import type { T } from '${externals[pick(externals.length)]}';`);
      if (f > 0) lines.push(`import { helper } from './f${f - 1}';`);
      if (i > 0 && f % 5 === 0) lines.push(`const lazy = () => import('${name(near())}');`);
      lines.push(
        '',
        `export const helper = (n: number): string => \`p${i}-f${f}-\${n} import('decoy-in-template')\`;`,
        `const message = "require('decoy-in-string')";`,
        `export function compute${f}(values: number[]): number {`,
        '  let total = 0;',
        '  for (const v of values) {',
        '    if (v % 2 === 0) total += v / 2; // halves',
        '    else total -= v;',
        '  }',
        `  return total + message.length + ${i};`,
        '}',
        `export class Service${f} {`,
        '  private readonly cache = new Map<string, number>();',
        '  get(key: string): number | undefined { return this.cache.get(key); }',
        '  set(key: string, value: number): void { this.cache.set(key, value); }',
        '}',
        '',
      );
      writeFileSync(join(root, 'src', `f${f}.ts`), lines.join('\n'));
    }
  }
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28, env: { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@kiln.invalid', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@kiln.invalid' } });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'scale workspace');
}

/** Runs `kiln graph --json` once in a fresh process; returns wall time (ms), peak RSS (MB), and graph size. */
export function measureGraph(dir) {
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const start = process.hrtime.bigint();
  const r = timeBin
    ? spawnSync(timeBin, ['-v', process.execPath, kilnBin, 'graph', '--json'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 30 })
    : spawnSync(process.execPath, [kilnBin, 'graph', '--json'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`kiln graph failed (${r.status}):\n${r.stderr}`);
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '')?.[1] ?? NaN);
  // CPU time (user + system, all threads): the figure that does not depend on what else the machine runs.
  const cpuS = Number(/User time \(seconds\): ([\d.]+)/.exec(r.stderr ?? '')?.[1] ?? NaN) + Number(/System time \(seconds\): ([\d.]+)/.exec(r.stderr ?? '')?.[1] ?? NaN);
  const graph = JSON.parse(r.stdout);
  const edges = Object.values(graph.dependencies).reduce((n, list) => n + list.length, 0);
  return { ms: Math.round(ms), cpuMs: Math.round(cpuS * 1000), peakRssMb: Math.round(rssKb / 1024), projects: Object.keys(graph.nodes).length, edges };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const at = process.argv.indexOf(`--${name}`);
    return at > 0 ? process.argv[at + 1] : fallback;
  };
  const projects = Number(arg('projects', 5000));
  const files = Number(arg('files', 100000));
  const runs = Number(arg('runs', 3));
  const dir = resolve(arg('dir', join(here, '.work', `graph-scale-${projects}-${files}`)));
  if (!existsSync(join(dir, '.git')) || process.argv.includes('--regenerate')) {
    process.stderr.write(`generating ${projects} projects / ${files} files in ${dir} ...\n`);
    generateScaleWorkspace(dir, { projects, files });
  }
  const results = [];
  for (let i = 0; i < runs; i++) {
    const m = measureGraph(dir);
    results.push(m);
    process.stderr.write(`run ${i + 1}: ${m.ms} ms wall, ${m.cpuMs} ms CPU, peak RSS ${m.peakRssMb} MB (${m.projects} projects, ${m.edges} edges)\n`);
  }
  const best = results.reduce((a, b) => (b.ms < a.ms ? b : a));
  const median = [...results].sort((a, b) => a.ms - b.ms)[Math.floor(results.length / 2)];
  process.stdout.write(`${JSON.stringify({ projects, files, runs: results, bestMs: best.ms, medianMs: median.ms, maxPeakRssMb: Math.max(...results.map((r) => r.peakRssMb)) })}\n`);
}
