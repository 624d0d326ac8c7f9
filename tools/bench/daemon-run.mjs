#!/usr/bin/env node
/**
 * D2 of the daemon bench: a fully cached `kiln run -t build` with kiln's daemon, the same without
 * it (the run manifest's fast path in the CLI), and `turbo run build`, interleaved, each tool in
 * its own copy of the workspace with its cache filled. `daemon.mjs` calls `cachedRunScenario`; on
 * its own this script reuses copies made earlier (a cold turbo build of 1,000 projects takes 10
 * minutes or more, so the copies are worth keeping):
 *
 *   node tools/bench/daemon-run.mjs --dir PREFIX [--runs K]   # PREFIX.kiln and PREFIX.turbo
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { measure, stats, toolEnv, toolPaths } from './run.mjs';

const fmt = (ms) => (ms >= 100 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

/**
 * Rows of D2: each command once untimed (fills a cache that is empty, writes kiln's run manifest,
 * lets the daemon check it), then `runs` interleaved rounds, the order rotating. `dirs.kiln` and
 * `dirs.turbo` are the tools' copies; kiln's daemon is started here (if none runs) and stopped at
 * the end unless `stopDaemon` is false.
 */
export async function cachedRunScenario({ dirs, bin, env, runs, log = () => undefined, stopDaemon = true }) {
  const kilnRun = [...bin.kiln, 'run', '-t', 'build', '--parallel', '2'];
  const commands = {
    'kiln (daemon)': { argv: kilnRun, cwd: dirs.kiln, env: { ...env, KILN_DAEMON: '1' } },
    'kiln (direct)': { argv: kilnRun, cwd: dirs.kiln, env: { ...env, KILN_DAEMON: '0' } },
    'turbo run build': { argv: [...bin.turbo, 'run', 'build', '--concurrency=2'], cwd: dirs.turbo, env },
    // The floors, in the same rounds: node's own start, and kiln's start with its CLI but no command.
    'floor: node -e 0': { argv: [process.execPath, '-e', '0'], cwd: dirs.kiln, env },
    'floor: kiln --version': { argv: [...bin.kiln, '--version'], cwd: dirs.kiln, env },
  };
  execFileSync(bin.kiln[0], [...bin.kiln.slice(1), 'daemon', 'start'], { cwd: dirs.kiln, env: commands['kiln (daemon)'].env, stdio: 'ignore' });
  const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  const names = Object.keys(commands);
  try {
    for (let round = -1; round < runs; round++) {
      const order = names.map((_, i) => names[(i + Math.max(round, 0)) % names.length]);
      for (const name of order) {
        const c = commands[name];
        const r = await measure(c.argv, { cwd: c.cwd, env: c.env });
        if (r.code !== 0) log(`  ${name} exited ${r.code}: ${r.stderr.slice(-400)}`);
        if (round >= 0) times[name].push(r.ms);
      }
      // The warm-up wrote kiln's manifest: the daemon checks it once, so the timed rounds find it kept.
      if (round === -1) await measure(kilnRun, { cwd: dirs.kiln, env: commands['kiln (daemon)'].env });
    }
  } finally {
    if (stopDaemon) execFileSync(bin.kiln[0], [...bin.kiln.slice(1), 'daemon', 'stop'], { cwd: dirs.kiln, env, stdio: 'ignore' });
  }
  const median = Object.fromEntries(Object.entries(times).map(([k, t]) => [k, stats(t)]));
  const rows = Object.entries(median).map(([k, s]) => [k.startsWith('floor') ? `D2 ${k}` : `D2 fully cached build: ${k}`, `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`]);
  rows.push(
    ['D2 ratio kiln (daemon) ÷ turbo (floor ≤ 0.25)', (median['kiln (daemon)'].median / median['turbo run build'].median).toFixed(2)],
    ['D2 ratio kiln (direct) ÷ turbo', (median['kiln (direct)'].median / median['turbo run build'].median).toFixed(2)],
  );
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const o = { dir: undefined, runs: 9 };
  for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i];
    if (a === '--dir') o.dir = process.argv[++i];
    else if (a === '--runs') o.runs = Number(process.argv[++i]);
    else throw new Error(`unknown option ${a}`);
  }
  const dirs = { kiln: `${o.dir}.kiln`, turbo: `${o.dir}.turbo` };
  for (const d of Object.values(dirs)) if (!existsSync(d)) throw new Error(`${d} does not exist`);
  const before = os.loadavg()[0];
  const rows = await cachedRunScenario({ dirs, bin: toolPaths(), env: toolEnv(), runs: o.runs, log: (s) => process.stderr.write(`${s}\n`) });
  rows.push(['load average (1 min) before / after', `${before.toFixed(1)} / ${os.loadavg()[0].toFixed(1)}`]);
  process.stdout.write(['| measure | value |', '|---|---:|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), ''].join('\n'));
}
