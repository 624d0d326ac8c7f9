#!/usr/bin/env node
/**
 * CODEOWNERS matching at scale: 100,000 paths against a 2,000-line CODEOWNERS (target: < 1 s).
 * The file mixes what large repositories hold: a catch-all, anchored directories, globs below
 * them, extensions, floating directory names and direct-children patterns. Paths and lines are
 * generated from a fixed seed, so every run measures the same work.
 *
 *   node tools/bench/owners-scale.mjs [--lines 2000] [--paths 100000] [--naive] [--json]
 *
 * `runOwnersScale(options)` returns the figures for the bench harness. Build first (npm run build).
 */
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const here = new URL('.', import.meta.url);
const core = () => import(new URL('../../packages/core/dist/owners/index.js', here).href);

/** A small deterministic generator (mulberry32). */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EXTENSIONS = ['ts', 'tsx', 'js', 'json', 'md', 'py', 'go', 'rs', 'yml', 'css'];

/** A CODEOWNERS text of `lines` rules. */
export function syntheticCodeowners(lines = 2000, seed = 1) {
  const rnd = random(seed);
  const pick = (n) => Math.floor(rnd() * n);
  const out = ['# generated for the owners-scale benchmark', '* @org/everyone'];
  for (let i = 1; out.length - 1 < lines; i++) {
    const team = `@org/team-${pick(300)}`;
    switch (i % 10) {
      case 0:
      case 1:
      case 2:
      case 3:
        out.push(`/packages/pkg-${i}/ ${team}`);
        break;
      case 4:
        out.push(`/packages/pkg-${pick(i + 1)}/src/**/*.test.ts @org/qa-${pick(20)}`);
        break;
      case 5:
        out.push(`*.${EXTENSIONS[pick(EXTENSIONS.length)]}${i % 3 === 0 ? '' : `.${i}`} ${team}`);
        break;
      case 6:
        out.push(`**/fixtures-${i}/ ${team}`);
        break;
      case 7:
        out.push(`/services/svc-${i}/* ${team} @user-${pick(1000)}`);
        break;
      case 8:
        out.push(`/apps/app-${i}/**/config/*.json ${team}`);
        break;
      default:
        out.push(`docs-${i}/ docs-${pick(50)}@example.com`);
    }
  }
  return `${out.join('\n')}\n`;
}

/**
 * `count` repository paths shaped like a monorepo's: files spread over `count / 10` directories
 * (real repositories hold about ten files per directory), under packages, services, apps and docs.
 */
export function syntheticPaths(count = 100_000, seed = 2) {
  const rnd = random(seed);
  const pick = (n) => Math.floor(rnd() * n);
  const directories = new Array(Math.max(1, Math.floor(count / 10)));
  for (let i = 0; i < directories.length; i++) {
    const top = pick(10);
    if (top < 6) directories[i] = `packages/pkg-${pick(2400)}/${['src', 'test', 'lib'][pick(3)]}/dir-${pick(30)}${pick(4) === 0 ? `/fixtures-${pick(2000)}` : ''}`;
    else if (top < 8) directories[i] = `services/svc-${pick(2400)}${pick(2) ? '' : `/sub-${pick(5)}`}`;
    else if (top < 9) directories[i] = `apps/app-${pick(2400)}/a/b/config`;
    else directories[i] = `docs-${pick(2400)}/guide`;
  }
  const paths = new Array(count);
  for (let i = 0; i < count; i++) {
    const dir = directories[pick(directories.length)];
    const ext = dir.endsWith('/config') ? 'json' : EXTENSIONS[pick(EXTENSIONS.length)];
    paths[i] = `${dir}/file-${pick(500)}.${ext}`;
  }
  return paths;
}

/**
 * Compiles a synthetic CODEOWNERS of `lines` lines and finds the owners of `paths` paths.
 * Returns milliseconds for each step; with `naive`, also a line-by-line scan's time per path
 * (measured on a sample and scaled), for comparison.
 */
export async function runOwnersScale({ lines = 2000, paths = 100_000, naive = false } = {}) {
  const { parseCodeowners, compileOwners } = await core();
  const text = syntheticCodeowners(lines);
  const files = syntheticPaths(paths);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const matcher = compileOwners(parseCodeowners(text, { dialect: 'github' }));
  const t1 = performance.now();
  let owned = 0;
  for (const p of files) if (matcher.ownersOf(p).owners.length > 0) owned++;
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  const result = {
    lines: matcher.parsed.rules.length,
    paths: files.length,
    owned,
    compileMs: round(t1 - t0),
    matchMs: round(t2 - t1),
    totalMs: round(t2 - t0),
    // CPU time of compile + match: steadier than wall time on a busy machine.
    cpuMs: round((cpu.user + cpu.system) / 1000),
    pathsPerSecond: Math.round(files.length / ((t2 - t1) / 1000)),
  };
  if (naive) {
    const sample = files.slice(0, Math.min(files.length, 2000));
    const s0 = performance.now();
    for (const p of sample) {
      for (let r = matcher.compiled.length - 1; r >= 0; r--) if (matcher.compiled[r].regex.test(p)) break;
    }
    result.naiveMsEstimate = round(((performance.now() - s0) / sample.length) * files.length);
  }
  return result;
}

const round = (ms) => Math.round(ms * 10) / 10;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const result = await runOwnersScale({ lines: arg('lines', 2000), paths: arg('paths', 100_000), naive: process.argv.includes('--naive') });
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
  else {
    console.log(`owners-scale: ${result.paths.toLocaleString('en')} paths × ${result.lines.toLocaleString('en')} CODEOWNERS lines`);
    console.log(`  compile ${result.compileMs} ms, match ${result.matchMs} ms (${result.pathsPerSecond.toLocaleString('en')} paths/s), total ${result.totalMs} ms (${result.cpuMs} ms CPU); ${result.owned} owned`);
    if (result.naiveMsEstimate !== undefined) console.log(`  naive line-by-line scan (estimated from a sample): ${result.naiveMsEstimate} ms`);
    console.log(result.totalMs < 1000 ? '  within the 1 s target' : '  OVER the 1 s target');
  }
}
