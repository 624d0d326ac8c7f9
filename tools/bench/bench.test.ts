/**
 * Unit tests for the benchmark's generator and report (pure parts, in memory). The end-to-end
 * smoke run, with the real tools, is test/bench-smoke.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planWorkspace } from './generate.mjs';
// @ts-expect-error: run.mjs has no type declarations; these tests only call it.
import { isNotImplemented, parseOptions, ratio, stats, updateResults } from './run.mjs';

describe('planWorkspace', () => {
  const plan = planWorkspace({ projects: 60, seed: 7, npmVersion: '11.1.0' });
  const read = (path: string) => {
    const text = plan.files.get(path);
    if (text === undefined) throw new Error(`${path} was not planned`);
    return text;
  };

  it('is deterministic for a seed and differs between seeds', () => {
    const again = planWorkspace({ projects: 60, seed: 7, npmVersion: '11.1.0' });
    expect([...again.files]).toEqual([...plan.files]);
    const other = planWorkspace({ projects: 60, seed: 8, npmVersion: '11.1.0' });
    expect([...other.files]).not.toEqual([...plan.files]);
  });

  it('gives each project 20 to 40 TypeScript sources and a build script that writes dist/', () => {
    expect(plan.projects).toHaveLength(60);
    for (const p of plan.projects) {
      const sources = [...plan.files.keys()].filter((f) => f.startsWith(`${p.dir}/src/`) && f.endsWith('.ts'));
      expect(sources.length).toBeGreaterThanOrEqual(20);
      expect(sources.length).toBeLessThanOrEqual(40);
      expect(JSON.parse(read(`${p.dir}/package.json`)).scripts.build).toBe('node ../../scripts/build.mjs');
    }
    expect(read('scripts/build.mjs')).toContain("mkdirSync('dist'");
  });

  it('layers the graph and imports exactly the workspace packages that package.json declares', () => {
    const layerOf = new Map(plan.projects.map((p) => [p.name, p.layer]));
    for (const p of plan.projects) {
      const declared = Object.keys(JSON.parse(read(`${p.dir}/package.json`)).dependencies ?? {}).filter((d) => d.startsWith('@bench/'));
      expect(declared).toEqual(p.deps);
      for (const d of p.deps) expect(layerOf.get(d)!).toBeLessThan(p.layer);
      const imported = new Set<string>();
      for (const [path, text] of plan.files) {
        if (!path.startsWith(`${p.dir}/src/`)) continue;
        for (const m of text.matchAll(/from '(@bench\/[^']+)'/g)) imported.add(m[1]!);
      }
      expect([...imported].sort()).toEqual(p.deps);
    }
    expect(plan.layers).toBeGreaterThanOrEqual(3);
    expect(plan.projects.filter((p) => p.layer === plan.layers - 1).every((p) => p.deps.length > 0)).toBe(true);
  });

  it('writes a v3 lockfile with workspace links and pinned external packages', () => {
    const lock = JSON.parse(read('package-lock.json'));
    expect(lock.lockfileVersion).toBe(3);
    expect(lock.packages[''].workspaces).toEqual(['packages/*']);
    for (const p of plan.projects) {
      expect(lock.packages[`node_modules/${p.name}`]).toEqual({ resolved: p.dir, link: true });
      expect(lock.packages[p.dir].name).toBe(p.name);
    }
    const externals = new Set(plan.projects.flatMap((p) => p.externals));
    expect(externals.size).toBeGreaterThan(0);
    for (const e of externals) {
      const entry = lock.packages[`node_modules/${e}`];
      expect(entry.resolved).toBe(`https://registry.npmjs.org/${e}/-/${e}-${entry.version}.tgz`);
      expect(entry.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    }
    expect(JSON.parse(read('package.json')).packageManager).toBe('npm@11.1.0');
  });

  it('configures the same build task for nx and turbo', () => {
    const nx = JSON.parse(read('nx.json'));
    expect(nx.targetDefaults.build).toMatchObject({ dependsOn: ['^build'], outputs: ['{projectRoot}/dist'], cache: true });
    expect(nx.plugins).toBeUndefined();
    const turbo = JSON.parse(read('turbo.json'));
    expect(turbo.tasks.build).toMatchObject({ dependsOn: ['^build'], outputs: ['dist/**'] });
  });

  it('writes a 2,000-line CODEOWNERS in GitHub syntax', () => {
    const lines = read('.github/CODEOWNERS').trimEnd().split('\n');
    expect(lines).toHaveLength(2000);
    const rules = lines.filter((l) => l.trim() !== '' && !l.startsWith('#'));
    for (const rule of rules) expect(rule).toMatch(/^[^\s!\[\]\\]+\s+@\S+(\s+@\S+)*$/);
  });

  it('picks a mid-layer file to change', () => {
    const target = plan.projects.find((p) => p.name === plan.changeTarget.project)!;
    expect(target.layer).toBe(Math.floor(plan.layers / 2));
    expect(plan.files.has(plan.changeTarget.file)).toBe(true);
    const edited = plan.projects.find((p) => p.name === plan.editTarget.project)!;
    expect(edited.layer).toBe(plan.layers - 2);
    expect(plan.projects.some((p) => p.deps.includes(edited.name))).toBe(true);
    expect(plan.files.has(plan.editTarget.file)).toBe(true);
  });

  it('rejects options it cannot honour, naming what it expected', () => {
    expect(() => planWorkspace({ projects: 1 })).toThrow(/projects: expected an integer >= 2/);
    expect(() => planWorkspace({ projects: 10, filesPerProject: [30, 20] })).toThrow(/filesPerProject/);
  });
});

describe('the runner', () => {
  it('parses its flags, with small defaults in smoke mode', () => {
    expect(parseOptions(['--size', '300', '--runs', '7', '--scenarios', '1,3'])).toMatchObject({ size: 300, runs: 7, scenarios: [1, 3], smoke: false });
    expect(parseOptions(['--smoke'])).toMatchObject({ size: 20, runs: 1, warmup: 0, out: undefined, smoke: true });
    expect(() => parseOptions(['--runs', '0'])).toThrow(/--runs: expected an integer >= 1/);
    expect(() => parseOptions(['--frobnicate'])).toThrow(/unknown option "--frobnicate"/);
  });

  it('computes median, min and max', () => {
    expect(stats([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, n: 3 });
    expect(stats([4, 1, 3, 2])).toMatchObject({ median: 2.5 });
  });

  it('divides kiln by the fastest peer', () => {
    const cell = (...ms: number[]) => ({ status: 'ok', runs: ms.map((m) => ({ ms: m })) });
    const q = ratio({ cells: { kiln: cell(100), nx: cell(900), turbo: cell(400), baseline: { status: 'none', runs: [] } } });
    expect(q).toEqual({ value: 0.25, peer: 'turbo' });
    expect(ratio({ cells: { kiln: { status: 'na', runs: [] }, nx: cell(1), turbo: cell(1), baseline: { status: 'none', runs: [] } } })).toBeUndefined();
  });

  it('tells a kiln command that has not landed from a failure', () => {
    expect(isNotImplemented({ code: 2, stderr: 'error unknown command "affected".' })).toBe(true);
    expect(isNotImplemented({ code: 1, stderr: 'error unknown command "affected".' })).toBe(false);
    expect(isNotImplemented({ code: 2, stderr: 'nx.json: wrong type' })).toBe(false);
  });

  it('replaces the section of the size it ran and keeps the others, in size order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-'));
    try {
      const file = join(dir, 'RESULTS.md');
      updateResults(file, '<!-- size:5000 -->\nbig v1\n<!-- /size:5000 -->', 5000, 'machine A');
      updateResults(file, '<!-- size:1000 -->\nsmall v1\n<!-- /size:1000 -->', 1000, 'machine A');
      updateResults(file, '<!-- size:5000 -->\nbig v2\n<!-- /size:5000 -->', 5000, 'machine B');
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('Machine: machine B');
      expect(text).not.toContain('machine A');
      expect(text).not.toContain('big v1');
      expect(text.indexOf('small v1')).toBeLessThan(text.indexOf('big v2'));
      // Notes written by hand after a section stay with it, whatever is re-run; blank lines do not pile up.
      writeFileSync(file, text.replace('<!-- /size:1000 -->', '<!-- /size:1000 -->\n\n## notes on 1000\n'));
      updateResults(file, '<!-- size:5000 -->\nbig v3\n<!-- /size:5000 -->', 5000, 'machine C');
      updateResults(file, '<!-- size:200 -->\ntiny\n<!-- /size:200 -->', 200, 'machine C');
      const again = readFileSync(file, 'utf8');
      expect(again).toContain('## notes on 1000');
      expect(again.indexOf('tiny')).toBeLessThan(again.indexOf('small v1'));
      expect(again.indexOf('small v1')).toBeLessThan(again.indexOf('## notes on 1000'));
      expect(again.indexOf('## notes on 1000')).toBeLessThan(again.indexOf('big v3'));
      expect(again).not.toMatch(/\n\n\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
