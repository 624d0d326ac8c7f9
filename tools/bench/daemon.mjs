#!/usr/bin/env node
/**
 * The daemon and `kiln watch` side by side with turbo and Nx's daemon, each tool in its own copy
 * of one generated workspace, in one run:
 *
 *   D1  affected after a one-file change: kiln with its daemon, kiln without, `turbo ls --affected`,
 *       `nx show projects --affected` with Nx's daemon (NX_DAEMON=true)
 *   D2  fully cached `kiln run -t build` (daemon running) against `turbo run build`
 *   D3  kiln watch: from a file's write to the first affected task's start, median of 20 saves
 *   D4  the daemon's resident memory and watched files, and its CPU over 10 idle seconds
 *   floors: `node -e 0` (node's start-up) and a bare Unix-socket round trip from a new node process
 *
 *   node tools/bench/daemon.mjs [--size N] [--runs K] [--saves S] [--out FILE] [--dir DIR] [--keep] [--skip nx] [--only d1,d2,d3,d4]
 *
 * --only runs just those scenarios (each tool's copy is made only when a scenario needs it). With
 * --keep the generated workspace (in --dir) is kept and reused by the next run of the same size,
 * so a 5,000-project workspace (160,000 files) is generated once.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedRunScenario } from './daemon-run.mjs';
import { generateWorkspace, planWorkspace } from './generate.mjs';
import { machine, measure, stats, toolEnv, toolPaths } from './run.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const o = { size: 1000, runs: 7, saves: 20, out: undefined, dir: undefined, keep: false, skip: [], only: ['d1', 'd2', 'd3', 'd4'] };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const v = () => process.argv[++i];
  if (a === '--size') o.size = Number(v());
  else if (a === '--runs') o.runs = Number(v());
  else if (a === '--saves') o.saves = Number(v());
  else if (a === '--out') o.out = v();
  else if (a === '--dir') o.dir = v();
  else if (a === '--keep') o.keep = true;
  else if (a === '--skip') o.skip = v().split(',');
  else if (a === '--only') o.only = v().toLowerCase().split(',');
  else throw new Error(`unknown option ${a}`);
}
const log = (s) => process.stderr.write(`${s}\n`);
const bin = toolPaths();
const env = toolEnv();
const ws = o.dir ?? join(here, '.work', `daemon-ws-${o.size}`);
const marker = `${ws}.bench.json`;
const kept = o.keep && existsSync(marker) && JSON.parse(readFileSync(marker, 'utf8')).size === o.size;
let plan;
if (kept) {
  plan = { ...planWorkspace({ projects: o.size, seed: 1 }), fileCount: JSON.parse(readFileSync(marker, 'utf8')).fileCount };
  log(`daemon bench: reusing ${o.size} projects in ${ws}`);
} else {
  rmSync(ws, { recursive: true, force: true });
  log(`daemon bench: generating ${o.size} projects in ${ws}`);
  plan = generateWorkspace({ dir: ws, projects: o.size, seed: 1 });
  if (o.keep) writeFileSync(marker, JSON.stringify({ size: o.size, fileCount: plan.fileCount }));
}
const copy = (tool) => {
  const dir = `${ws}.${tool}`;
  rmSync(dir, { recursive: true, force: true });
  execFileSync('cp', ['-a', ws, dir]);
  return dir;
};
const needs = { kiln: true, turbo: o.only.includes('d1') || o.only.includes('d2'), nx: o.only.includes('d1') && !o.skip.includes('nx') };
// Only kiln and a kept workspace: measured in place, so its cache (primed once) is kept with it.
const inPlace = o.keep && !needs.turbo && !needs.nx;
const dirs = inPlace
  ? { kiln: ws }
  : Object.fromEntries(
      Object.entries(needs)
        .filter(([, needed]) => needed)
        .map(([tool]) => [tool, copy(tool)]),
    );
const kiln = (args, extra = {}) => measure([...bin.kiln, ...args], { cwd: dirs.kiln, env: { ...env, ...extra } });
const withDaemon = { KILN_DAEMON: '1' };
const fmt = (ms) => (ms >= 100 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const rows = [];
// Each figure is logged as it is measured, so a run cut short still tells what it found.
const push = rows.push.bind(rows);
rows.push = (...r) => {
  for (const [k, v] of r) log(`  ${k}: ${v}`);
  return push(...r);
};
const median = (list) => stats(list).median;

// Floors.
const floor = async (argv, n = o.runs) => {
  const t = [];
  for (let i = 0; i < n; i++) t.push((await measure(argv, { cwd: ws, env })).ms);
  return median(t);
};
const sock = join(os.tmpdir(), `kiln-bench-${process.pid}.sock`);
const server = createServer((s) => s.on('data', () => s.end('ok'))).listen(sock);
const nodeFloor = await floor([process.execPath, '-e', '0']);
const socketFloor = await floor([
  process.execPath,
  '-e',
  `require('net').connect(${JSON.stringify(sock)}).on('connect',function(){this.write('x')}).on('data',function(){this.destroy()})`,
]);
server.close();
rows.push(['floor: `node -e 0`', fmt(nodeFloor)], ['floor: new node process + Unix-socket round trip', fmt(socketFloor)]);

// D1: affected after a one-file change.
const daemon = (cmd) => execFileSync(bin.kiln[0], [...bin.kiln.slice(1), 'daemon', cmd], { cwd: dirs.kiln, env: { ...env, ...withDaemon }, stdio: 'ignore' });
if (o.only.includes('d1')) {
  for (const dir of Object.values(dirs)) writeFileSync(join(dir, plan.changeTarget.file), `${readFileSync(join(dir, plan.changeTarget.file), 'utf8')}// changed\n`);
  daemon('start');
  const affectedCmds = {
    'kiln (daemon)': () => kiln(['affected', '--json'], withDaemon),
    'kiln (direct)': () => kiln(['affected', '--json'], { KILN_DAEMON: '0' }),
    'turbo ls --affected': () => measure([...bin.turbo, 'ls', '--affected', '--output=json'], { cwd: dirs.turbo, env }),
    ...(dirs.nx && {
      'nx show projects --affected (nx daemon)': () =>
        measure([...bin.nx, 'show', 'projects', '--affected', '--json'], { cwd: dirs.nx, env: { ...env, NX_DAEMON: 'true', CI: '' } }),
    }),
  };
  const times = Object.fromEntries(Object.keys(affectedCmds).map((k) => [k, []]));
  const answers = {};
  for (let i = 0; i <= o.runs; i++) {
    for (const [name, run] of Object.entries(affectedCmds)) {
      const r = await run();
      if (r.code !== 0) log(`  ${name} exited ${r.code}: ${r.stderr.slice(-400)}`);
      if (i > 0) times[name].push(r.ms);
      else {
        const j = JSON.parse(r.stdout || 'null');
        answers[name] = j ? (Array.isArray(j) ? j.length : j.projects ? j.projects.length : j.packages?.items?.length) : '?';
      }
    }
  }
  const d1 = Object.fromEntries(Object.entries(times).map(([k, t]) => [k, median(t)]));
  for (const [k, m] of Object.entries(d1)) rows.push([`D1 affected, one-file change: ${k} (${answers[k]} projects)`, fmt(m)]);
  const kd = d1['kiln (daemon)'];
  rows.push([`D1 ratio kiln (daemon) ÷ turbo (floor ≤ 0.2 at 5,000; ≤ 1 at 1,000)`, (kd / d1['turbo ls --affected']).toFixed(2)]);
  if (dirs.nx) rows.push([`D1 ratio kiln (daemon) ÷ nx with its daemon (floor ≤ 0.5)`, (kd / d1['nx show projects --affected (nx daemon)']).toFixed(2)]);
}

// D2: fully cached build (daemon-run.mjs). Otherwise kiln's cache is primed here for D3.
if (o.only.includes('d2')) rows.push(...(await cachedRunScenario({ dirs, bin, env, runs: o.runs, log, stopDaemon: false })));
else if (o.only.includes('d3')) {
  log('  priming the cache for D3: kiln run -t build -p the edited project');
  await measure([...bin.kiln, 'run', '-t', 'build', '-p', plan.editTarget.project, '--parallel', '2'], { cwd: dirs.kiln, env });
}

// D4: the daemon's memory and idle CPU.
if (o.only.includes('d4')) {
  daemon('start');
  const status = JSON.parse(execFileSync(bin.kiln[0], [...bin.kiln.slice(1), 'daemon', 'status', '--json'], { cwd: dirs.kiln, env: { ...env, ...withDaemon }, encoding: 'utf8' }));
  const cpu = () =>
    readFileSync(`/proc/${status.pid}/stat`, 'utf8')
      .split(') ')[1]
      .split(' ')
      .slice(11, 13)
      .reduce((s, x) => s + Number(x), 0);
  const before = cpu();
  await new Promise((r) => setTimeout(r, 10_000));
  const idleTicks = cpu() - before;
  rows.push([`D4 daemon resident memory (${status.watchedFiles} files in ${status.watchedFolders} folders; floor ≤ 250 MB)`, `${(status.rssBytes / 2 ** 20).toFixed(0)} MB`]);
  rows.push(['D4 daemon CPU over 10 idle seconds', `${idleTicks} ticks (${(idleTicks * 10).toFixed(0)} ms)`]);
}
if (o.only.includes('d1') || o.only.includes('d4')) daemon('stop');

// D3: kiln watch, write → first task start (the time its "start" line reaches this process).
if (o.only.includes('d3')) {
  // Only the edited project's build (and what it depends on) runs, so the first run is short at any size; every
  // batch is still judged against the whole workspace held in memory.
  const watchArgs = ['watch', '-t', 'build', '-p', plan.editTarget.project, '--parallel', '2'];
  log(`  D3: kiln ${watchArgs.join(' ')}`);
  const watch = spawn(bin.kiln[0], [...bin.kiln.slice(1), ...watchArgs], { cwd: dirs.kiln, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let mark = Infinity;
  let startedAt;
  watch.stderr.on('data', (b) => {
    err += b;
    if (startedAt === undefined && /(^|\n)start /.test(err.slice(mark))) startedAt = performance.now();
  });
  const until = async (ok, ms = 600_000) => {
    for (let waited = 0; !ok(); waited += 5) {
      if (waited > ms) throw new Error(`watch: timed out\n${err.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await until(() => err.includes('idle: watching'));
  const file = join(dirs.kiln, plan.editTarget.file);
  const original = readFileSync(file, 'utf8');
  const latencies = [];
  for (let i = 0; i < o.saves; i++) {
    mark = err.length;
    startedAt = undefined;
    const t0 = performance.now();
    // Content never built before (a kept workspace keeps its cache): each save is a miss, so its task starts.
    writeFileSync(file, `${original}// save ${Date.now()} ${i}\n`);
    await until(() => startedAt !== undefined, 60_000);
    latencies.push(startedAt - t0);
    await until(() => err.slice(mark).includes('idle: watching'));
    // A pause between saves, as a person makes: the previous run's bookkeeping is done.
    await new Promise((r) => setTimeout(r, 200));
  }
  watch.kill('SIGINT');
  await new Promise((r) => watch.once('exit', r));
  writeFileSync(file, original);
  // The floor under it: the kernel's event reaching a node process watching the file's folder (what chokidar stands on), then the watcher's 10 ms quiet.
  const { watch: fsWatch } = await import('node:fs');
  const floors = [];
  for (let i = 0; i < o.saves; i++) {
    const seen = new Promise((r) => {
      const w = fsWatch(dirname(file), () => {
        w.close();
        r(performance.now());
      });
    });
    const t0 = performance.now();
    writeFileSync(file, `${original}// floor ${i}\n`);
    floors.push((await seen) - t0);
  }
  writeFileSync(file, original);
  const s3 = stats(latencies);
  rows.push([`D3 kiln watch: write → first task start, median of ${o.saves} saves (target ≤ 100 ms; min ${fmt(s3.min)}, max ${fmt(s3.max)})`, fmt(median(latencies))]);
  rows.push(["D3 floor: write → inotify event in a node process (fs.watch), median; plus the watcher's 10 ms quiet", fmt(median(floors))]);
}

const m = machine();
const text = [
  `## Daemon and watch, ${o.size.toLocaleString('en')} projects (${plan.fileCount.toLocaleString('en')} files)`,
  '',
  `${new Date().toISOString()}; ${m.cpu}, ${m.cores} cores, load average ${os.loadavg()[0].toFixed(1)}; median of ${o.runs} runs after one warm-up.`,
  '',
  '| measure | value |',
  '|---|---:|',
  ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  '',
].join('\n');
process.stdout.write(text);
if (o.out) writeFileSync(o.out, existsSync(o.out) ? `${readFileSync(o.out, 'utf8')}\n${text}` : text);
for (const dir of new Set([...(o.keep ? [] : [ws]), ...Object.values(dirs)].filter((d) => !(inPlace && d === ws)))) rmSync(dir, { recursive: true, force: true });
