#!/usr/bin/env node
/**
 * kiln side by side with Nx and Turborepo on one generated workspace, in one run.
 *
 * For each scenario row, every tool runs the same work, interleaved (the order rotates each
 * iteration), one warm-up then K timed runs; we report median, min and max wall time, peak memory
 * and kiln's median divided by the fastest peer's median. See README.md for the scenarios and how
 * long a run takes.
 *
 *   node tools/bench/run.mjs [--size N] [--runs K] [--scenarios 1,2,...] [--smoke] [--out FILE]
 *                            [--seed S] [--dir DIR] [--keep] [--budget SECONDS]
 *
 * What it leaves out: it never runs `npm`/`npx` to start a tool (that would time npm, not the
 * tool); nx is started with node, turbo as its native binary, kiln with node.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateWorkspace, gitEnv, installedNpmVersion, kilnRepoRoot, planWorkspace } from './generate.mjs';
import { remoteCacheRows } from './remote-cache.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const TIME = '/usr/bin/time';
const PEERS = ['nx', 'turbo', 'baseline'];
const TOOLS = ['kiln', ...PEERS];

// ---------------------------------------------------------------------------------------------
// Options

export function parseOptions(argv) {
  const o = { size: 1000, runs: 5, warmup: 1, scenarios: [1, 2, 3, 4, 5, 6, 7, 9], smoke: false, out: join(here, 'RESULTS.md'), seed: 1, dir: undefined, keep: false, budget: Infinity, skip: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (v, min) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${a}: expected an integer >= ${min}, got "${v}"`);
      return n;
    };
    if (a === '--size') o.size = int(value(), 2);
    else if (a === '--runs') o.runs = int(value(), 1);
    else if (a === '--warmup') o.warmup = int(value(), 0);
    else if (a === '--seed') o.seed = int(value(), 0);
    else if (a === '--budget') o.budget = int(value(), 1);
    else if (a === '--skip') o.skip = value().split(',').map((s) => s.trim());
    else if (a === '--scenarios') o.scenarios = value().split(',').map((s) => int(s.trim(), 1));
    else if (a === '--out') o.out = resolve(value());
    else if (a === '--dir') o.dir = resolve(value());
    else if (a === '--keep') o.keep = true;
    else if (a === '--reuse') o.reuse = true;
    else if (a === '--smoke') o.smoke = true;
    else if (a === '--help' || a === '-h') o.help = true;
    else throw new Error(`unknown option "${a}" (see --help)`);
  }
  if (o.smoke) {
    if (!argv.includes('--size')) o.size = 20;
    if (!argv.includes('--runs')) o.runs = 1;
    if (!argv.includes('--warmup')) o.warmup = 0;
    if (!argv.includes('--out')) o.out = undefined;
  }
  return o;
}

const HELP = `usage: npm run bench -- [options]   (or node tools/bench/run.mjs [options])
  --size N          projects in the generated workspace (default 1000; smoke: 20)
  --runs K          timed runs per tool and scenario after the warm-up (default 5; smoke: 1)
  --warmup W        untimed warm-up runs (default 1; smoke: 0)
  --scenarios LIST  which scenarios, e.g. 1,2,3 (default 1..7 and 9; 8, the remote cache, only when named)
  --budget SECONDS  stop a tool's timed runs of one scenario once they took this long in all
                    (at least one run; the table shows how many); for cold builds at 1,000+
  --seed S          generator seed (default 1)
  --dir DIR         where to generate the workspace (default tools/bench/.work/ws-N)
  --keep            keep the generated workspace afterwards
  --reuse           use the workspace already in --dir (same --size and --seed; tool state and caches
                    kept, e.g. after a long cold-build run) instead of generating it; implies --keep
  --out FILE        results file to update (default tools/bench/RESULTS.md; smoke: none)
  --skip TOOLS      leave these peers out (e.g. nx, whose cold builds at 1,000+ take half an hour);
                    the table shows – for them and the ratio is against the peers that ran
  --smoke           small and quick, and fail (exit 1) if a tool fails or the tools disagree`;

// ---------------------------------------------------------------------------------------------
// Running one command and measuring it

/** The environment every tool runs with: no telemetry, no cloud, no daemon, plain output. */
export function toolEnv() {
  const env = {};
  // Drop what `npm run bench` puts in the environment, so the tools' own npm calls are unaffected.
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  return {
    ...env,
    ...gitEnv,
    CI: '1',
    NO_COLOR: '1',
    DO_NOT_TRACK: '1',
    TURBO_TELEMETRY_DISABLED: '1',
    TURBO_NO_UPDATE_NOTIFIER: '1',
    NX_NO_CLOUD: 'true',
    NX_DAEMON: 'false',
    NX_TUI: 'false',
  };
}

const hasTime = existsSync(TIME);

/**
 * Runs argv in cwd; wall time from spawn to exit; peak memory as `/usr/bin/time`'s %M (the
 * largest resident set of the process and the children it waited for, in kB).
 */
export function measure(argv, { cwd, env, input, timeoutMs = 30 * 60_000 }) {
  const memFile = join(os.tmpdir(), `kiln-bench-${process.pid}-${Math.random().toString(36).slice(2)}.mem`);
  const full = hasTime ? [TIME, '-f', '%M', '-o', memFile, ...argv] : argv;
  return new Promise((resolvePromise) => {
    const started = process.hrtime.bigint();
    const child = spawn(full[0], full.slice(1), { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    let outBytes = 0;
    child.stdout.on('data', (b) => {
      outBytes += b.length;
      if (outBytes < 1 << 28) out.push(b);
    });
    child.stderr.on('data', (b) => err.push(b));
    if (input !== undefined) child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      clearTimeout(timer);
      let peakKb;
      if (hasTime) {
        try {
          // time(1) writes "Command exited with non-zero status N" before the figure.
          const lines = readFileSync(memFile, 'utf8').trim().split('\n');
          peakKb = Number(lines[lines.length - 1]);
          rmSync(memFile, { force: true });
        } catch {
          peakKb = undefined;
        }
      }
      resolvePromise({ code: code ?? (signal ? 128 : -1), signal, ms, peakKb, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** kiln commands that land later print `unknown command` with exit 2: show n/a, do not fail. */
export function isNotImplemented(r) {
  return r.code === 2 && /unknown (command|subcommand|option)/i.test(r.stderr);
}

// ---------------------------------------------------------------------------------------------
// The tools

export function toolPaths() {
  const nm = join(kilnRepoRoot, 'node_modules');
  const turboNative = ['linux-64', 'linux-arm64', 'darwin-64', 'darwin-arm64'].map((p) => join(nm, '@turbo', p, 'bin', 'turbo')).find((p) => existsSync(p));
  return {
    kiln: [process.execPath, join(kilnRepoRoot, 'packages/cli/bin/kiln.js')],
    nx: [process.execPath, join(nm, 'nx/bin/nx.js')],
    turbo: turboNative ? [turboNative] : [join(nm, '.bin/turbo')],
    baseline: [process.execPath, join(here, 'baseline-owners.mjs')],
  };
}

/** Where each tool keeps its on-disk state (caches, graph caches) in a workspace. */
const STATE = { kiln: ['.kiln'], nx: ['.nx'], turbo: ['.turbo', 'node_modules/.cache/turbo'], baseline: [] };

// ---------------------------------------------------------------------------------------------
// Scenarios

/**
 * A row: one measured thing. `cmd[tool]` is the argv after the tool's binary (absent: the tool has
 * no equivalent). `prepare(tool)` runs before every run of a tool (untimed); `iteration(i)` once
 * per iteration before any tool; `setup`/`teardown` around the row; `check(tool, result)` returns
 * a problem message or nothing; `collect(tool, result)` extracts what is compared across tools.
 */
function scenarios(ctx) {
  const { ws, plan, bin } = ctx;
  // Build rows run each tool in its own copy (`dir(tool)`); the other rows share `ws`.
  const rmState = (tool, dir = ws) => STATE[tool].forEach((d) => rmSync(join(dir, d), { recursive: true, force: true }));
  const rmOutputs = (dir) => plan.projects.forEach((p) => rmSync(join(dir, p.dir, 'dist'), { recursive: true, force: true }));
  const top = plan.projects[plan.projects.length - 1];
  const outputsPresent = (dir) => (existsSync(join(dir, top.dir, 'dist/index.js')) ? undefined : `${top.dir}/dist/index.js was not built`);
  const dir = (tool) => ctx.copyFor(tool);
  const changeFile = join(ws, plan.changeTarget.file);
  const original = readFileSync(changeFile, 'utf8');
  const editOriginal = readFileSync(join(ws, plan.editTarget.file), 'utf8');
  const nxGraphFile = join(ctx.work, 'nx-graph.json');
  const names = (list) => [...new Set(list)].sort();

  const buildCmd = {
    kiln: ['run', '-t', 'build', '--parallel', '2'],
    nx: ['run-many', '-t', 'build', '--parallel=2'],
    turbo: ['run', 'build', '--concurrency=2'],
  };
  const buildTools = () => ['kiln', 'nx', 'turbo'].filter((t) => !ctx.opts.skip.includes(t));
  const primeBuilds = async () => {
    for (const tool of buildTools()) {
      const r = await measure([...bin[tool], ...buildCmd[tool]], { cwd: dir(tool), env: ctx.env });
      if (r.code !== 0 && !isNotImplemented(r)) ctx.log(`  (priming ${tool} build failed with exit ${r.code})`);
    }
  };

  return [
    { id: '1', scenario: 1, title: 'start-up (`--version`)', cmd: { kiln: ['--version'], nx: ['--version'], turbo: ['--version'] } },
    {
      id: '2a',
      scenario: 2,
      title: 'list projects, warm',
      cmd: { kiln: ['projects', '--json'], nx: ['show', 'projects', '--json'], turbo: ['ls', '--output=json'] },
      collect: (tool, r) => {
        const j = JSON.parse(r.stdout);
        return names(tool === 'turbo' ? j.packages.items.map((i) => i.name) : tool === 'kiln' ? j.map((p) => p.name) : j);
      },
      compare: 'projects',
    },
    {
      id: '2b',
      scenario: 2,
      title: 'project graph, cold (tool state removed)',
      note: 'kiln `graph --json`; nx `graph --file=out.json`; turbo `query` (packages with direct dependencies)',
      cmd: {
        kiln: ['graph', '--json'],
        nx: ['graph', `--file=${nxGraphFile}`],
        turbo: ['query', 'query { packages { items { name directDependencies { items { name } } } } }'],
      },
      prepare: rmState,
      collect: (tool, r) => {
        if (tool === 'turbo') {
          const items = JSON.parse(r.stdout).data.packages.items.filter((p) => p.name !== '//');
          return names(items.flatMap((p) => p.directDependencies.items.filter((d) => d.name !== '//').map((d) => `${p.name} -> ${d.name}`)));
        }
        const g = tool === 'kiln' ? JSON.parse(r.stdout) : JSON.parse(readFileSync(nxGraphFile, 'utf8')).graph;
        return names(Object.values(g.dependencies).flatMap((deps) => deps.filter((d) => !d.target.startsWith('npm:')).map((d) => `${d.source} -> ${d.target}`)));
      },
      compare: 'edges',
    },
    ...affectedRows(),
    {
      id: '4',
      scenario: 4,
      title: 'full cold build, parallelism 2',
      // Every run starts from nothing, so there is nothing to warm up.
      warmup: 0,
      cmd: buildCmd,
      ownCopy: true,
      prepare: (tool) => {
        rmOutputs(dir(tool));
        rmState(tool, dir(tool));
      },
      check: (tool) => outputsPresent(dir(tool)),
    },
    {
      id: '5a',
      scenario: 5,
      title: 'fully cached re-run, outputs present',
      cmd: buildCmd,
      ownCopy: true,
      setup: primeBuilds,
      check: (tool) => outputsPresent(dir(tool)),
    },
    {
      id: '5b',
      scenario: 5,
      title: 'fully cached re-run, outputs deleted (restored)',
      cmd: buildCmd,
      ownCopy: true,
      setup: primeBuilds,
      prepare: (tool) => rmOutputs(dir(tool)),
      check: (tool) => outputsPresent(dir(tool)),
    },
    {
      id: '6',
      scenario: 6,
      title: `incremental build after a one-file change (\`${plan.editTarget.project}\` and its dependents)`,
      cmd: buildCmd,
      ownCopy: true,
      setup: primeBuilds,
      // Each bench run edits differently: an edit from an earlier run would be a cache hit, not an incremental build.
      iteration: (i) => buildTools().forEach((t) => writeFileSync(join(dir(t), plan.editTarget.file), `${editOriginal}// incremental change ${ctx.started.getTime()}-${i}\n`)),
      teardown: () => buildTools().forEach((t) => writeFileSync(join(dir(t), plan.editTarget.file), editOriginal)),
      check: (tool) => outputsPresent(dir(tool)),
    },
    ownersRow(),
    ...remoteCacheRows({ ctx, dir, buildCmd, rmState, rmOutputs, outputsPresent, measure, kilnRepoRoot, stateDirs: STATE }),
    sharedStateRow(),
  ];

  function affectedRows() {
    const cmd = { kiln: ['affected', '--json'], nx: ['show', 'projects', '--affected', '--json'], turbo: ['ls', '--affected', '--output=json'] };
    const collect = (tool, r) => {
      const j = JSON.parse(r.stdout);
      return names(tool === 'kiln' ? j.projects : tool === 'turbo' ? j.packages.items.map((i) => i.name) : j);
    };
    const setup = () => writeFileSync(changeFile, `${original}// affected change\n`);
    const teardown = () => writeFileSync(changeFile, original);
    return [
      { id: '3a', scenario: 3, title: `affected after a one-file change, warm (\`${plan.changeTarget.project}\`)`, cmd, collect, compare: 'affected projects', setup, teardown },
      { id: '3b', scenario: 3, title: 'affected after a one-file change, cold (tool state removed)', cmd, collect, compare: 'affected projects', setup, teardown, prepare: rmState },
    ];
  }

  /**
   * A fresh clone in CI: no tool state, but kiln finds the graph state of the base commit that
   * `kiln ci state save` shared (here put back into the cache folder's states/, as a CI cache step or
   * the remote cache would); nx and turbo start from nothing as in 3b.
   */
  function sharedStateRow() {
    const row = affectedRows()[1];
    const saved = join(ctx.work, 'shared-states');
    const states = join(ws, '.kiln/cache/states');
    return {
      ...row,
      id: '9',
      scenario: 9,
      title: "affected after a one-file change, fresh clone with the base commit's shared state (kiln `ci state save`)",
      setup: () => {
        rmSync(join(ws, '.kiln'), { recursive: true, force: true });
        execFileSync(bin.kiln[0], [...bin.kiln.slice(1), 'ci', 'state', 'save'], { cwd: ws, env: ctx.env, stdio: ['ignore', 'ignore', 'inherit'] });
        rmSync(saved, { recursive: true, force: true });
        cpSync(states, saved, { recursive: true });
        row.setup();
      },
      prepare: (tool) => {
        rmState(tool);
        if (tool === 'kiln') cpSync(saved, states, { recursive: true });
      },
    };
  }

  function ownersRow() {
    const all = execFileSync('git', ['ls-files'], { cwd: ws, encoding: 'utf8', maxBuffer: 1 << 30 }).split('\n').filter(Boolean);
    const codeowners = '.github/CODEOWNERS';
    const how = kilnOwnersMode(ctx);
    // Paths on the command line: at 5,000 projects they do not all fit (Linux allows about 2 MB of
    // arguments), so kiln and the baseline both get the same every-k-th file.
    const bytes = all.reduce((n, f) => n + f.length + 1, 0);
    const k = how === 'args' && bytes > ARGV_BYTES ? Math.ceil(bytes / ARGV_BYTES) : 1;
    const files = k === 1 ? all : all.filter((_, i) => i % k === 0);
    const base = ['owners', 'who', '--json', '--codeowners', codeowners];
    const kiln = how === 'all' ? [...base, '--all'] : how === 'stdin' ? [...base, '--stdin'] : [...base, ...files];
    const which = files === all ? `all ${all.length.toLocaleString('en')} files` : `one file in ${k} (${files.length.toLocaleString('en')} of ${all.length.toLocaleString('en')}: the command line holds no more)`;
    return {
      id: '7',
      scenario: 7,
      title: `CODEOWNERS: owners of ${which}, ${countLines(join(ws, codeowners))} lines`,
      note: 'nx and turbo have no CODEOWNERS matching; the peer is a naive baseline (one `ignore` matcher per line, last match wins: what the `codeowners` npm package does)',
      cmd: { kiln, baseline: files === all ? [codeowners] : [codeowners, ...files] },
      input: how === 'stdin' ? { kiln: `${files.join('\n')}\n` } : undefined,
      // Both answer {path: [owners]}; on the generated file GitHub's and .gitignore's rules agree.
      collect: (tool, r) => names(Object.entries(JSON.parse(r.stdout)).map(([path, owners]) => `${path}: ${owners.join(' ')}`)),
      compare: 'owners per file',
    };
  }
}

const ARGV_BYTES = 1_500_000;

/**
 * How kiln takes every file: `--all` or `--stdin` if `kiln owners who --help` offers them, else
 * paths as arguments. (While `owners` has not landed, the arguments get the n/a answer.)
 */
function kilnOwnersMode(ctx) {
  let help = '';
  try {
    help = execFileSync(ctx.bin.kiln[0], [...ctx.bin.kiln.slice(1), 'owners', 'who', '--help'], { cwd: ctx.ws, env: ctx.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return 'args';
  }
  if (/--all\b/.test(help)) return 'all';
  if (/--stdin\b/.test(help)) return 'stdin';
  return 'args';
}

function countLines(file) {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
}

/**
 * Build scenarios give each tool its own copy of the workspace (`<ws>.<tool>`, made once with
 * `cp -a` and kept with `--reuse`), so no tool finds, rewrites or hard-links the `dist/` folders
 * another tool restored: each is timed on its own outputs and its own cache only.
 */
function copyPath(ws, tool) {
  return `${ws}.${tool}`;
}
const copiesReady = new Set();
function workspaceCopy(ws, tool, log) {
  const copy = copyPath(ws, tool);
  if (copiesReady.has(copy)) return copy;
  copiesReady.add(copy);
  if (existsSync(join(copy, '.git'))) {
    // Kept by --reuse: same tool state, but no edit left behind by an interrupted run.
    execFileSync('git', ['checkout', '-q', '--', '.'], { cwd: copy });
  } else {
    rmSync(copy, { recursive: true, force: true });
    log(`  (copying the workspace for ${tool}: ${relative(process.cwd(), copy) || copy})`);
    execFileSync('cp', ['-a', ws, copy]);
    for (const other of TOOLS.filter((t) => t !== tool)) for (const d of STATE[other]) rmSync(join(copy, d), { recursive: true, force: true });
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------
// The loop

async function runRow(row, ctx) {
  const runs = (t) => row.cmd[t] && !ctx.opts.skip.includes(t);
  const tools = TOOLS.filter(runs);
  const cells = Object.fromEntries(TOOLS.map((t) => [t, { runs: [], status: runs(t) ? 'ok' : 'none' }]));
  if (row.setup) await row.setup();
  const warmup = row.warmup ?? ctx.opts.warmup;
  const total = warmup + ctx.opts.runs;
  try {
    for (let i = 0; i < total; i++) {
      if (row.iteration) row.iteration(i);
      const order = tools.map((_, k) => tools[(k + i) % tools.length]);
      for (const tool of order) {
        const cell = cells[tool];
        if (cell.status !== 'ok') continue;
        if (cell.runs.length >= 1 && cell.runs.reduce((s, r) => s + r.ms, 0) > ctx.opts.budget * 1000) continue;
        if (row.prepare) row.prepare(tool);
        const cwd = row.ownCopy ? ctx.copyFor(tool) : ctx.ws;
        const r = await measure([...ctx.bin[tool], ...row.cmd[tool]], { cwd, env: row.env?.() ?? ctx.env, input: row.input?.[tool] });
        if (tool === 'kiln' && isNotImplemented(r)) {
          cell.status = 'na';
          cell.reason = 'n/a (not implemented)';
          continue;
        }
        if (r.code !== 0) {
          cell.status = 'failed';
          cell.reason = `failed (exit ${r.code})`;
          ctx.log(`  ${tool} ${row.cmd[tool].join(' ').slice(0, 80)} exited ${r.code}:\n${indent(tail(r.stderr || r.stdout, 15))}`);
          continue;
        }
        const problem = row.check?.(tool, r);
        if (problem) {
          cell.status = 'failed';
          cell.reason = `wrong result: ${problem}`;
          ctx.log(`  ${tool}: ${problem}`);
          continue;
        }
        if (row.collect) {
          try {
            cell.collected = row.collect(tool, r);
          } catch (error) {
            cell.status = 'failed';
            cell.reason = `unreadable output: ${error.message}`;
            ctx.log(`  ${tool}: could not read its output: ${error.message}\n${indent(tail(r.stdout, 5))}`);
            continue;
          }
        }
        if (i >= warmup) cell.runs.push({ ms: r.ms, peakKb: r.peakKb });
      }
    }
  } finally {
    if (row.teardown) await row.teardown();
  }
  return { ...row, cells, agreement: agreement(row, cells) };
}

function agreement(row, cells) {
  if (!row.compare) return undefined;
  const got = TOOLS.filter((t) => cells[t].status === 'ok' && cells[t].collected !== undefined);
  if (got.length === 0) return undefined;
  const sizes = Object.fromEntries(got.map((t) => [t, Array.isArray(cells[t].collected) ? cells[t].collected.length : cells[t].collected]));
  const key = (t) => JSON.stringify(cells[t].collected);
  const agree = got.every((t) => key(t) === key(got[0]));
  let detail = '';
  if (!agree && got.every((t) => Array.isArray(cells[t].collected))) {
    detail = got
      .flatMap((a) => got.filter((b) => b !== a).map((b) => [a, b, cells[a].collected.filter((x) => !cells[b].collected.includes(x))]))
      .filter(([, , only]) => only.length > 0)
      .map(([a, b, only]) => `only ${a}, not ${b}: ${only.slice(0, 5).join(', ')}${only.length > 5 ? ` (+${only.length - 5})` : ''}`)
      .join('; ');
  }
  return { what: row.compare, sizes, agree, detail };
}

// ---------------------------------------------------------------------------------------------
// Figures and the report

export function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const mid = Math.floor(s.length / 2);
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1], n: s.length };
}

function seconds(ms) {
  return ms >= 100 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

function cellText(cell, wanted) {
  if (cell.status === 'none') return '–';
  if (cell.status !== 'ok' || cell.runs.length === 0) return cell.reason ?? 'n/a';
  const t = stats(cell.runs.map((r) => r.ms));
  const runs = t.n < wanted ? ` [${t.n} run${t.n === 1 ? '' : 's'}]` : '';
  return t.n === 1 ? `${seconds(t.median)}${runs}` : `**${seconds(t.median)}** (${seconds(t.min)}–${seconds(t.max)})${runs}`;
}

function memText(cell) {
  if (cell.status !== 'ok' || cell.runs.length === 0) return '–';
  const kb = Math.max(...cell.runs.map((r) => r.peakKb ?? 0));
  return kb > 0 ? `${Math.round(kb / 1024)}` : '?';
}

export function ratio(result) {
  const med = (t) => (result.cells[t].status === 'ok' && result.cells[t].runs.length > 0 ? stats(result.cells[t].runs.map((r) => r.ms)).median : undefined);
  const kiln = med('kiln');
  const peers = PEERS.map((t) => [t, med(t)]).filter(([, m]) => m !== undefined);
  if (kiln === undefined || peers.length === 0) return undefined;
  const [peer, best] = peers.reduce((a, b) => (b[1] < a[1] ? b : a));
  return { value: kiln / best, peer };
}

function table(results, opts) {
  const usesBaseline = results.some((r) => r.cmd.baseline);
  const head = ['scenario', 'kiln', 'nx', 'turbo', ...(usesBaseline ? ['naive baseline'] : []), 'kiln ÷ fastest peer', 'peak MB (kiln / nx / turbo' + (usesBaseline ? ' / baseline)' : ')')];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of results) {
    const q = ratio(r);
    const tools = usesBaseline ? TOOLS : TOOLS.filter((t) => t !== 'baseline');
    const none = (t) => (r.scenario === 7 && (t === 'nx' || t === 'turbo') ? 'no equivalent' : '–');
    lines.push(
      `| ${r.id}. ${r.title} | ${tools.map((t) => (r.cells[t].status === 'none' ? none(t) : cellText(r.cells[t], opts.runs))).join(' | ')} | ${q ? `${q.value.toFixed(2)} (vs ${q.peer})` : '–'} | ${tools.map((t) => memText(r.cells[t])).join(' / ')} |`,
    );
  }
  return lines.join('\n');
}

function agreementText(results) {
  return results
    .filter((r) => r.agreement)
    .map((r) => {
      const a = r.agreement;
      const sizes = Object.entries(a.sizes).map(([t, n]) => `${t} ${n}`).join(', ');
      return `- ${r.id}. ${a.what}: ${sizes}${a.agree ? ' (identical)' : ` — **they differ**${a.detail ? `: ${a.detail}` : ''}`}`;
    })
    .join('\n');
}

export function machine() {
  const cpus = os.cpus();
  let distro = `${os.type()} ${os.release()}`;
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (pretty) distro = `${pretty[1]} (${os.type()} ${os.release()})`;
  } catch {
    /* not Linux */
  }
  return { cpu: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, os: distro };
}

/** The inodes in the kernel's cache (Linux), undefined elsewhere: in the millions they slow file creation, kiln's more than turbo's (README.md). */
function cachedInodes() {
  try {
    const n = Number(readFileSync('/proc/sys/fs/inode-nr', 'utf8').trim().split(/\s+/)[0]);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

const inodesText = (n) => `${(n / 1e6).toFixed(1)} million inodes in the kernel's cache`;

function kilnCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: kilnRepoRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function versions(bin, env, ws, commit) {
  const v = (argv) => {
    try {
      return execFileSync(argv[0], [...argv.slice(1), '--version'], { cwd: ws, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  const nx = /Local:\s*v?(\S+)/.exec(v(bin.nx))?.[1] ?? v(bin.nx);
  const git = execFileSync('git', ['--version'], { encoding: 'utf8' }).trim().replace(/^git version /, '');
  return { kiln: `${v(bin.kiln)} (commit ${commit})`, nx, turbo: v(bin.turbo), git, npm: JSON.parse(readFileSync(join(ws, 'package.json'), 'utf8')).packageManager };
}

function section(results, ctx, partial) {
  const { opts, plan, versions: ver, started } = ctx;
  const ratios = results
    .map((r) => [r, ratio(r)])
    .filter(([, q]) => q)
    .map(([r, q]) => `${r.id} ${q.value.toFixed(2)}`)
    .join(', ');
  return [
    `<!-- size:${opts.size} -->`,
    `## ${opts.size.toLocaleString('en')} projects${partial ? ` (${partial})` : ''}`,
    '',
    `Run ${started.toISOString().replace(/\.\d+Z$/, 'Z')}, ${ctx.minutes.toFixed(0)} min, load average ${ctx.load.start} at the start and ${ctx.load.end} at the end${ctx.inodes === undefined ? '' : `, ${inodesText(ctx.inodes)} at the start`}; ${opts.warmup} warm-up + ${opts.runs} timed runs per tool, interleaved${Number.isFinite(opts.budget) ? ` (fewer where a tool's runs took over ${opts.budget} s: --budget)` : ''}. ` +
      `Workspace: ${plan.projects.length.toLocaleString('en')} projects, ${plan.fileCount.toLocaleString('en')} files, ${plan.layers} layers, seed ${opts.seed}. ` +
      `Versions: kiln ${ver.kiln}, nx ${ver.nx}, turbo ${ver.turbo}, git ${ver.git}, ${ver.npm}.` +
      (ctx.machineText ? ` Machine: ${ctx.machineText}` : ''),
    '',
    'Wall time: **median** (min–max). Ratio: kiln median ÷ the fastest peer median (below 1: kiln is faster).',
    '',
    table(results, opts),
    '',
    'Agreement between the tools:',
    '',
    agreementText(results) || '- (nothing compared)',
    '',
    ...results.filter((r) => r.note).map((r) => `- ${r.id}: ${r.note}.`),
    '',
    ratios ? `Ratios: ${ratios}.` : 'Ratios: none (kiln had no figures).',
    `<!-- /size:${opts.size} -->`,
  ].join('\n');
}

const PREAMBLE = `# kiln benchmark results

Generated by \`npm run bench\` (tools/bench/run.mjs; see tools/bench/README.md for what each scenario does
and how to reproduce). Each size's section is replaced when that size is re-run; the others are kept.
`;

export function updateResults(file, sectionText, size, machineText) {
  let body = existsSync(file) ? readFileSync(file, 'utf8') : PREAMBLE;
  const start = `<!-- size:${size} -->`;
  const end = `<!-- /size:${size} -->`;
  const i = body.indexOf(start);
  const j = body.indexOf(end);
  if (i >= 0 && j > i) body = body.slice(0, i) + sectionText + body.slice(j + end.length);
  else body = `${body.trimEnd()}\n\n${sectionText}\n`;
  // The machine line is refreshed every time.
  body = body.replace(/^Machine: .*\n\n?/m, '');
  body = body.replace(PREAMBLE.trimEnd(), `${PREAMBLE.trimEnd()}\n\nMachine: ${machineText}\n`);
  // Keep the sections in size order, each with the notes written by hand after it (up to the next section).
  const found = [...body.matchAll(/<!-- size:(\d+) -->[\s\S]*?<!-- \/size:\1 -->/g)];
  const chunks = found.map((m, k) => ({ size: Number(m[1]), text: body.slice(m.index, k + 1 < found.length ? found[k + 1].index : body.length).trim() }));
  const head = body.slice(0, found[0]?.index ?? body.length).trimEnd();
  body = `${head}\n\n${chunks.sort((a, b) => a.size - b.size).map((c) => c.text).join('\n\n')}\n`;
  writeFileSync(file, body.replace(/\n{3,}/g, '\n\n'));
}

// ---------------------------------------------------------------------------------------------

function tail(text, n) {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
function indent(text) {
  return text.replace(/^/gm, '    ');
}

export async function main(argv) {
  let opts;
  try {
    opts = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`bench: ${error.message}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const log = (line) => process.stderr.write(`${line}\n`);
  const work = join(here, '.work');
  mkdirSync(work, { recursive: true });
  // A smoke run (CI, tests) may run next to another: it works in a temp dir of its own.
  const scratch = mkdtempSync(join(opts.smoke ? os.tmpdir() : work, 'run-'));
  const ws = opts.dir ?? join(opts.smoke ? scratch : work, `ws-${opts.size}`);
  const started = new Date();
  // Read before anything slow: the checkout may move on while a long run goes.
  const commit = kilnCommit();
  let plan;
  if (opts.reuse && existsSync(join(ws, '.git'))) {
    // The plan is a pure function of size and seed: recompute it, write nothing.
    const p = planWorkspace({ projects: opts.size, seed: opts.seed, npmVersion: installedNpmVersion() });
    if (readFileSync(join(ws, 'package-lock.json'), 'utf8') !== p.files.get('package-lock.json')) throw new Error(`${ws} was not generated with --size ${opts.size} --seed ${opts.seed}`);
    execFileSync('git', ['checkout', '-q', '--', '.'], { cwd: ws });
    plan = { ...p, files: undefined, fileCount: p.files.size, dir: ws };
    opts.keep = true;
    log(`bench: reusing ${relative(process.cwd(), ws) || ws} with its tool state`);
  } else {
    for (const d of [ws, ...TOOLS.map((t) => copyPath(ws, t))]) rmSync(d, { recursive: true, force: true });
    log(`bench: generating ${opts.size} projects in ${relative(process.cwd(), ws) || ws} ...`);
    plan = generateWorkspace({ dir: ws, projects: opts.size, seed: opts.seed });
  }
  log(`bench: ${plan.fileCount} files, ${plan.layers} layers; change target ${plan.changeTarget.file}`);
  const bin = toolPaths();
  const env = toolEnv();
  const loadavg = () => os.loadavg()[0].toFixed(1);
  const ctx = { opts, ws, plan, bin, env, work: scratch, log, started, load: { start: loadavg() }, inodes: cachedInodes(), copyFor: (tool) => workspaceCopy(ws, tool, log) };
  if (ctx.inodes !== undefined) log(`bench: ${inodesText(ctx.inodes)}`);
  ctx.versions = versions(bin, env, ws, commit);
  log(`bench: kiln ${ctx.versions.kiln}, nx ${ctx.versions.nx}, turbo ${ctx.versions.turbo}${hasTime ? '' : ' (no /usr/bin/time: no memory figures)'}`);

  const rows = scenarios(ctx).filter((r) => opts.scenarios.includes(r.scenario));
  const results = [];
  const m = machine();
  const machineText = `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB RAM, ${m.os}, Node ${m.node}.`;
  // Each section names its own machine: sections are re-run one size at a time, not always on one machine.
  ctx.machineText = machineText;
  // Written after every row, so a long run that is stopped still leaves its figures.
  const save = (final) => {
    ctx.minutes = (Date.now() - started.getTime()) / 60_000;
    ctx.load.end = loadavg();
    const text = section(results, ctx, final ? undefined : `partial: ${results.length} of ${rows.length} rows so far`);
    if (!opts.smoke) writeFileSync(join(work, `results-${opts.size}.json`), JSON.stringify({ opts: { ...opts, budget: String(opts.budget) }, machine: m, versions: ctx.versions, results: results.map(({ cells, id, title, agreement: a }) => ({ id, title, cells, agreement: a })) }, null, 1));
    if (opts.out) updateResults(opts.out, text, opts.size, machineText);
    return text;
  };
  for (const row of rows) {
    log(`bench: ${row.id}. ${row.title}`);
    const result = await runRow(row, ctx);
    results.push(result);
    for (const t of TOOLS) if (result.cells[t].status !== 'none') log(`  ${t.padEnd(8)} ${cellText(result.cells[t], opts.runs).replace(/\*\*/g, '')}`);
    const q = ratio(result);
    if (q) log(`  kiln ÷ ${q.peer}: ${q.value.toFixed(2)}`);
    if (result.agreement) {
      const a = result.agreement;
      const line = `  ${a.what}: ${Object.entries(a.sizes).map(([t, n]) => `${t} ${n}`).join(', ')}`;
      log(a.agree ? line : `${line}\n  WARNING: the tools disagree${a.detail ? `: ${a.detail}` : ''}`);
    }
    if (results.length < rows.length) save(false);
  }
  const text = save(true);
  process.stdout.write(`\n${text.replace(/<!--.*-->\n?/g, '')}\n\nMachine: ${machineText}\n`);
  if (opts.out) log(`bench: wrote ${relative(process.cwd(), opts.out)}`);
  if (!opts.keep) for (const d of [ws, ...TOOLS.map((t) => copyPath(ws, t))]) rmSync(d, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });

  if (opts.smoke) {
    const problems = [];
    for (const r of results) {
      for (const t of TOOLS) {
        const c = r.cells[t];
        if (c.status === 'failed') problems.push(`${r.id} ${t}: ${c.reason}`);
        if (c.status === 'na' && t !== 'kiln') problems.push(`${r.id} ${t}: ${c.reason}`);
      }
      if (r.agreement && !r.agreement.agree) problems.push(`${r.id}: the tools disagree on ${r.agreement.what}: ${r.agreement.detail}`);
    }
    if (problems.length > 0) {
      log(`bench --smoke: FAILED\n${problems.map((p) => `  - ${p}`).join('\n')}`);
      return 1;
    }
    log('bench --smoke: every tool exited 0 where expected and the tools agree');
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`bench: ${error.stack ?? error}\n`);
      process.exitCode = 2;
    },
  );
}
