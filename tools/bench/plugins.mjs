#!/usr/bin/env node
/**
 * kiln-only and side by side with nx: the cost of nx.json inference plugins (@nx/js/typescript,
 * @nx/vite/plugin, @nx/jest/plugin) on a generated workspace of N projects, each with a
 * tsconfig.lib.json, a vite.config.ts and a jest.config.js.
 *
 *   node tools/bench/plugins.mjs [--projects 60] [--runs 7] [--modules DIR]
 *
 * --modules: a node_modules with nx and the three plugins at the pinned version (default: the one
 * tools/nx-plugins.mjs installs under the system temp folder, installed first if it is not there).
 * Prints medians: warm `kiln affected` with and without the plugins (the same workspace, nx.json's
 * `plugins` removed), the cold and warm plugin cost of a full read (`kiln graph --json` with and
 * without `.kiln/plugins`), and nx's `show projects --affected` cold (no daemon, no project graph
 * cache) and warm (its project graph cache kept), with and without the plugins.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installNxPlugins } from '../nx-plugins.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kiln = join(repoRoot, 'packages/cli/bin/kiln.js');
const { values } = parseArgs({ options: { projects: { type: 'string', default: '60' }, runs: { type: 'string', default: '7' }, modules: { type: 'string' } } });
values.modules ??= await installNxPlugins();
const projects = Number(values.projects);
const runs = Number(values.runs);

const plugins = [
  { plugin: '@nx/js/typescript', options: { typecheck: { targetName: 'typecheck' }, build: { targetName: 'build', configName: 'tsconfig.lib.json' } } },
  { plugin: '@nx/vite/plugin', options: { buildTargetName: 'vite-build', testTargetName: 'vite-test' } },
  { plugin: '@nx/jest/plugin', options: { targetName: 'test' } },
];

function write(dir, files) {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
}

function workspace(withPlugins) {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-plugins-'));
  const files = {
    '.gitignore': 'node_modules\n.nx\n.kiln\ndist\n',
    'package.json': { name: 'ws', private: true, workspaces: ['packages/*'] },
    'nx.json': { ...(withPlugins && { plugins }), namedInputs: { default: ['{projectRoot}/**/*'], production: ['default', '!{projectRoot}/**/*.spec.ts'] } },
    'tsconfig.base.json': { compilerOptions: { composite: true, declaration: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: true } },
  };
  for (let i = 0; i < projects; i++) {
    const p = `packages/p${i}`;
    const dep = i > 0 ? { [`@b/p${Math.floor(i / 2)}`]: '*' } : {};
    files[`${p}/package.json`] = { name: `@b/p${i}`, version: '1.0.0', type: 'module', main: './dist/index.js', dependencies: dep };
    files[`${p}/src/index.ts`] = i > 0 ? `import '@b/p${Math.floor(i / 2)}';\nexport const v = ${i};\n` : 'export const v = 0;\n';
    files[`${p}/tsconfig.json`] = { extends: '../../tsconfig.base.json', files: [], references: [{ path: './tsconfig.lib.json' }] };
    files[`${p}/tsconfig.lib.json`] = { extends: '../../tsconfig.base.json', compilerOptions: { rootDir: 'src', outDir: 'dist' }, include: ['src/**/*.ts'] };
    files[`${p}/vite.config.ts`] = "import { defineConfig } from 'vite';\nexport default defineConfig({ root: __dirname, build: { outDir: './dist-vite' } });\n";
    files[`${p}/jest.config.js`] = `export default { displayName: 'p${i}' };\n`;
  }
  write(dir, files);
  symlinkSync(values.modules, join(dir, 'node_modules'));
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.email=b@b', '-c', 'user.name=b', 'add', '-A');
  git('-c', 'user.email=b@b', '-c', 'user.name=b', 'commit', '-qm', 'init');
  git('checkout', '-q', '-b', 'change');
  writeFileSync(join(dir, `packages/p${projects - 1}/src/index.ts`), 'export const v = -1;\n');
  return dir;
}

const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
function time(dir, cmd, args, before) {
  before?.();
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: dir, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed in ${dir}:\n${r.stdout}\n${r.stderr}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Interleaved runs of each case, medians in ms. */
function measure(cases) {
  const times = cases.map(() => []);
  for (let r = 0; r < runs; r++) cases.forEach((c, i) => times[i].push(time(...c.run)));
  return cases.map((c, i) => ({ name: c.name, ms: Math.round(median(times[i])) }));
}

const withDir = workspace(true);
const withoutDir = workspace(false);
const kilnArgs = (cmd) => [kiln, ...cmd];
const nxArgs = (cmd) => [join(withDir, 'node_modules/nx/bin/nx.js'), ...cmd];
try {
  // Warm both first (the state and the plugin cache).
  for (const d of [withDir, withoutDir]) time(d, process.execPath, kilnArgs(['affected', '--json']));
  const dropPluginCache = () => rmSync(join(withDir, '.kiln', 'plugins'), { recursive: true, force: true });
  const dropNx = (d) => () => rmSync(join(d, '.nx'), { recursive: true, force: true });
  const affectedNx = ['show', 'projects', '--affected', '--base=main', '--json'];
  const results = measure([
    { name: 'kiln affected, warm, 3 plugins', run: [withDir, process.execPath, kilnArgs(['affected', '--json'])] },
    { name: 'kiln affected, warm, no plugins', run: [withoutDir, process.execPath, kilnArgs(['affected', '--json'])] },
    { name: 'kiln graph, plugin cache warm', run: [withDir, process.execPath, kilnArgs(['graph', '--json'])] },
    { name: 'kiln graph, plugins cold (no .kiln/plugins)', run: [withDir, process.execPath, kilnArgs(['graph', '--json']), dropPluginCache] },
    { name: 'kiln graph, no plugins', run: [withoutDir, process.execPath, kilnArgs(['graph', '--json'])] },
    { name: 'nx show projects --affected, cold, 3 plugins', run: [withDir, process.execPath, nxArgs(affectedNx), dropNx(withDir)] },
    { name: 'nx show projects --affected, warm, 3 plugins', run: [withDir, process.execPath, nxArgs(affectedNx)] },
    { name: 'nx show projects --affected, cold, no plugins', run: [withoutDir, process.execPath, nxArgs(affectedNx), dropNx(withoutDir)] },
  ]);
  console.log(`${projects} projects, median of ${runs} interleaved runs`);
  for (const r of results) console.log(`${String(r.ms).padStart(7)} ms  ${r.name}`);
} finally {
  rmSync(withDir, { recursive: true, force: true });
  rmSync(withoutDir, { recursive: true, force: true });
}
