#!/usr/bin/env node
/**
 * A seeded generator of realistic npm-workspace monorepos that kiln, Nx and Turborepo all read as
 * the same projects with the same `build` task (`dependsOn: ["^build"]`).
 *
 * `planWorkspace` is pure: options in, a file tree (path → contents) and a description out; the
 * same seed always gives the same bytes. `generateWorkspace` writes that tree, links
 * `node_modules` the way `npm install` would (without running it) and commits everything to a
 * new git repository on branch `main`.
 *
 * What it leaves out: nothing is installed from a registry. The lockfile is written directly
 * (lockfileVersion 3, workspace links plus a few external packages) so tools can parse it; the
 * external packages are declared but not present on disk, since no build step imports them.
 *
 * CLI: node tools/bench/generate.mjs --dir DIR --projects N [--seed S] [--files 20,40]
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCOPE = '@bench';
const ROOT_NAME = 'bench-monorepo';
const here = dirname(fileURLToPath(import.meta.url));
/** The kiln repository root, whose node_modules hold the pinned nx and turbo. */
export const kilnRepoRoot = resolve(here, '../..');

/** External packages some projects use, with the versions the lockfile pins. */
const EXTERNALS = [
  { name: 'tslib', range: '^2.6.0', version: '2.8.1', license: '0BSD' },
  { name: 'lodash', range: '^4.17.21', version: '4.17.21', license: 'MIT' },
  { name: 'zod', range: '^3.23.0', version: '3.23.8', license: 'MIT' },
  { name: 'date-fns', range: '^3.6.0', version: '3.6.0', license: 'MIT' },
  { name: 'uuid', range: '^9.0.0', version: '9.0.1', license: 'MIT' },
];

const WORDS = ['model', 'service', 'client', 'parser', 'format', 'store', 'query', 'schema', 'events', 'config', 'cache', 'auth', 'utils', 'routes', 'mapper', 'policy'];
const TEAMS = ['platform', 'payments', 'identity', 'catalog', 'search', 'growth', 'infra', 'data', 'mobile', 'web', 'billing', 'ml'];

/** mulberry32: small, fast, good enough for shaping test data; never for anything secret. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** integer in [lo, hi] */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

function checkOptions({ projects, filesPerProject, seed }) {
  if (!Number.isInteger(projects) || projects < 2) throw new TypeError(`projects: expected an integer >= 2, got ${projects}`);
  const [lo, hi] = filesPerProject;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 3 || hi < lo) {
    throw new TypeError(`filesPerProject: expected [min, max] integers with 3 <= min <= max, got ${JSON.stringify(filesPerProject)}`);
  }
  if (!Number.isInteger(seed)) throw new TypeError(`seed: expected an integer, got ${seed}`);
}

/**
 * Plans a workspace: which projects, in which layers, depending on what, with which files.
 * @param {{projects: number, filesPerProject?: [number, number], seed?: number, npmVersion?: string, codeownersLines?: number}} options
 * @returns {{files: Map<string, string>, projects: Array<{name: string, dir: string, layer: number, deps: string[], externals: string[], sources: string[]}>, layers: number, changeTarget: {project: string, file: string}, editTarget: {project: string, file: string}}}
 */
export function planWorkspace(options) {
  const { projects: count, filesPerProject = [20, 40], seed = 1, npmVersion = '10.0.0', codeownersLines = 2000 } = options;
  checkOptions({ projects: count, filesPerProject, seed });
  const rnd = prng(seed);
  const width = String(count - 1).length < 4 ? 4 : String(count - 1).length;
  const id = (i) => `p${String(i).padStart(width, '0')}`;

  // Layers: leaves at 0; each project in layer k > 0 depends on one project of layer k - 1
  // (so the graph really is that deep) and on up to three more from any lower layer, mostly k - 1.
  const layerCount = Math.max(3, Math.round(Math.log2(count)));
  const layerOf = (i) => Math.floor((i * layerCount) / count);
  const byLayer = Array.from({ length: layerCount }, () => []);
  for (let i = 0; i < count; i++) byLayer[layerOf(i)].push(i);

  const projects = [];
  for (let i = 0; i < count; i++) {
    const layer = layerOf(i);
    const deps = new Set();
    if (layer > 0) {
      deps.add(rnd.pick(byLayer[layer - 1]));
      const extra = rnd.int(0, 3);
      for (let e = 0; e < extra; e++) {
        const from = rnd.next() < 0.6 ? layer - 1 : rnd.int(0, layer - 1);
        deps.add(rnd.pick(byLayer[from]));
      }
    }
    const externals = rnd.next() < 0.3 ? [rnd.pick(EXTERNALS).name] : [];
    const fileCount = rnd.int(filesPerProject[0], filesPerProject[1]);
    projects.push({
      index: i,
      name: `${SCOPE}/${id(i)}`,
      dir: `packages/${id(i)}`,
      layer,
      deps: [...deps].sort((a, b) => a - b).map((d) => `${SCOPE}/${id(d)}`),
      externals,
      fileCount,
      sources: [],
    });
  }

  const files = new Map();
  for (const p of projects) writeProject(p, rnd, files);

  files.set('package.json', json({ name: ROOT_NAME, version: '0.0.0', private: true, workspaces: ['packages/*'], packageManager: `npm@${npmVersion}` }));
  files.set('package-lock.json', json(lockfile(projects)));
  files.set('nx.json', json(nxJson()));
  files.set('turbo.json', json(turboJson()));
  files.set('scripts/build.mjs', BUILD_SCRIPT);
  files.set('.gitignore', 'node_modules/\ndist/\n.nx/\n.turbo/\n.kiln/\n');
  files.set('README.md', `# ${ROOT_NAME}\n\nGenerated by kiln's tools/bench/generate.mjs: ${count} projects, seed ${seed}.\n`);
  files.set('.github/CODEOWNERS', codeowners(projects, rnd, codeownersLines));

  // The one-file change for `affected` and incremental runs: a source file of the middle layer's
  // most used project (a shared library), so the change has dependents above it and dependencies below.
  const dependents = new Map(projects.map((p) => [p.name, 0]));
  for (const p of projects) for (const d of p.deps) dependents.set(d, dependents.get(d) + 1);
  const mid = byLayer[Math.floor(layerCount / 2)].map((i) => projects[i]).reduce((a, b) => (dependents.get(b.name) > dependents.get(a.name) ? b : a));
  const changeTarget = { project: mid.name, file: `${mid.dir}/src/${mid.sources[1]}` };
  // The everyday edit for the incremental build: a project just below the top with the fewest
  // (but some) dependents, so a rebuild is a handful of tasks and the tool's own overhead shows.
  const upper = byLayer[layerCount - 2].map((i) => projects[i]).filter((p) => dependents.get(p.name) > 0);
  const small = upper.length > 0 ? upper.reduce((a, b) => (dependents.get(b.name) < dependents.get(a.name) ? b : a)) : mid;
  const editTarget = { project: small.name, file: `${small.dir}/src/${small.sources[1]}` };

  return {
    files,
    layers: layerCount,
    changeTarget,
    editTarget,
    projects: projects.map(({ name, dir, layer, deps, externals, sources }) => ({ name, dir, layer, deps, externals, sources })),
  };
}

function writeProject(p, rnd, files) {
  // Roughly one file in eight is a spec, which `production` inputs leave out.
  const names = [];
  for (let f = 1; f < p.fileCount; f++) {
    const base = `${rnd.pick(WORDS)}-${f}`;
    names.push(f % 8 === 0 ? `${base}.spec.ts` : `${base}.ts`);
  }
  const modules = names.filter((n) => !n.endsWith('.spec.ts'));
  p.sources = ['index.ts', ...names];

  // Every declared dependency is imported by at least one module, so the import edges and the
  // package.json edges agree.
  const importsOf = new Map(modules.map((m) => [m, []]));
  p.deps.forEach((d, k) => importsOf.get(modules[k % modules.length]).push(d));
  p.externals.forEach((e, k) => importsOf.get(modules[(k + 1) % modules.length]).push(e));

  modules.forEach((m, k) => {
    const stem = m.replace(/\.ts$/, '');
    const fn = camel(stem);
    const lines = [`// ${p.name}: ${stem} (generated)`];
    const used = [];
    importsOf.get(m).forEach((dep, j) => {
      if (dep.startsWith(`${SCOPE}/`)) {
        lines.push(`import { projectName as dep${j} } from '${dep}';`);
        used.push(`dep${j}.length`);
      } else {
        lines.push(`import * as ext${j} from '${dep}';`);
        used.push(`Object.keys(ext${j}).length`);
      }
    });
    if (k > 0) {
      const prev = modules[k - 1].replace(/\.ts$/, '');
      lines.push(`import { ${camel(prev)} } from './${prev}.js';`);
      used.push(`${camel(prev)}(input)`);
    }
    const factor = rnd.int(2, 97);
    lines.push(
      '',
      `export interface ${pascal(stem)}Options {`,
      '  readonly scale: number;',
      '  readonly label?: string;',
      '}',
      '',
      `export function ${fn}(input: number, options: ${pascal(stem)}Options = { scale: ${factor} }): number {`,
      `  const base = input * options.scale + ${rnd.int(0, 999)};`,
      `  return base${used.map((u) => ` + ${u}`).join('')};`,
      '}',
      '',
    );
    files.set(`${p.dir}/src/${m}`, lines.join('\n'));
  });
  for (const s of names.filter((n) => n.endsWith('.spec.ts'))) {
    const target = modules[0].replace(/\.ts$/, '');
    files.set(
      `${p.dir}/src/${s}`,
      [`import { ${camel(target)} } from './${target}.js';`, '', `if (${camel(target)}(1) === ${camel(target)}(2)) {`, `  throw new Error('${s}: expected different results');`, '}', ''].join('\n'),
    );
  }
  files.set(
    `${p.dir}/src/index.ts`,
    [`export const projectName = '${p.name}';`, ...modules.map((m) => `export * from './${m.replace(/\.ts$/, '.js')}';`), ''].join('\n'),
  );
  const dependencies = Object.fromEntries([...p.deps.map((d) => [d, '*']), ...p.externals.map((e) => [e, EXTERNALS.find((x) => x.name === e).range])].sort(([a], [b]) => (a < b ? -1 : 1)));
  files.set(
    `${p.dir}/package.json`,
    json({
      name: p.name,
      version: '1.0.0',
      private: true,
      type: 'module',
      main: 'dist/index.js',
      scripts: { build: 'node ../../scripts/build.mjs' },
      ...(Object.keys(dependencies).length > 0 && { dependencies }),
    }),
  );
  files.set(`${p.dir}/README.md`, `# ${p.name}\n\nLayer ${p.layer}. Depends on: ${p.deps.join(', ') || 'nothing'}.\n`);
}

function lockfile(projects) {
  const packages = {
    '': { name: ROOT_NAME, version: '0.0.0', workspaces: ['packages/*'] },
  };
  const usedExternals = new Set(projects.flatMap((p) => p.externals));
  for (const e of EXTERNALS.filter((x) => usedExternals.has(x.name))) {
    packages[`node_modules/${e.name}`] = {
      version: e.version,
      resolved: `https://registry.npmjs.org/${e.name}/-/${e.name}-${e.version}.tgz`,
      integrity: `sha512-${createHash('sha512').update(`${e.name}@${e.version}`).digest('base64')}`,
      license: e.license,
    };
  }
  for (const p of projects) packages[`node_modules/${p.name}`] = { resolved: p.dir, link: true };
  for (const p of projects) {
    const dependencies = {};
    for (const d of p.deps) dependencies[d] = '*';
    for (const e of p.externals) dependencies[e] = EXTERNALS.find((x) => x.name === e).range;
    packages[p.dir] = { name: p.name, version: '1.0.0', ...(Object.keys(dependencies).length > 0 && { dependencies }) };
  }
  const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { name: ROOT_NAME, version: '0.0.0', lockfileVersion: 3, requires: true, packages: sorted };
}

function nxJson() {
  return {
    $schema: './node_modules/nx/schemas/nx-schema.json',
    defaultBase: 'main',
    namedInputs: {
      default: ['{projectRoot}/**/*', 'sharedGlobals'],
      production: ['default', '!{projectRoot}/**/*.spec.ts', '!{projectRoot}/README.md'],
      sharedGlobals: ['{workspaceRoot}/scripts/build.mjs'],
    },
    targetDefaults: {
      build: { dependsOn: ['^build'], inputs: ['production', '^production'], outputs: ['{projectRoot}/dist'], cache: true },
    },
  };
}

function turboJson() {
  return {
    $schema: 'https://turborepo.com/schema.json',
    globalDependencies: ['scripts/build.mjs'],
    tasks: {
      build: { dependsOn: ['^build'], inputs: ['$TURBO_DEFAULT$', '!**/*.spec.ts', '!README.md'], outputs: ['dist/**'] },
    },
  };
}

/**
 * A large CODEOWNERS in GitHub's dialect: a catch-all, per-project lines, per-directory and
 * extension rules, and many lines for paths that no longer exist (as real files accumulate).
 */
function codeowners(projects, rnd, lines) {
  const out = ['# Generated by kiln tools/bench/generate.mjs', '', '*  @bench/everyone', '*.md  @bench/docs', '/scripts/  @bench/build-tools', ''];
  const team = () => `@bench/${rnd.pick(TEAMS)}`;
  const user = () => `@user${rnd.int(1, 400)}`;
  const n = projects.length;
  let k = 0;
  while (out.length < lines) {
    const p = projects[rnd.int(0, n - 1)];
    const shape = k++ % 8;
    if (shape === 0) out.push(`/${p.dir}/  ${team()}`);
    else if (shape === 1) out.push(`/${p.dir}/src/${rnd.pick(WORDS)}-*.ts  ${team()} ${user()}`);
    else if (shape === 2) out.push(`${p.dir}/**/*.spec.ts  @bench/qa`);
    else if (shape === 3) out.push(`/${p.dir}/package.json  ${team()} @bench/deps`);
    else if (shape === 4) out.push(`/${p.dir.slice(0, -1)}*/src/  ${team()}`);
    else if (shape === 5) out.push(`/packages/retired-${rnd.int(1, 5000)}/  ${team()}`);
    else if (shape === 6) out.push(`${rnd.pick(WORDS)}-${rnd.int(1, 40)}.ts  ${user()}`);
    else out.push(`/${p.dir}/src/**/${rnd.pick(WORDS)}-?.ts  ${team()}`);
  }
  return `${out.slice(0, lines).join('\n')}\n`;
}

/** Each package's `build`: copies its non-spec sources to dist/ as .js; cheap and deterministic. */
const BUILD_SCRIPT = `// The build step every generated package runs: src/*.ts (not specs) -> dist/*.js, sorted.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const sources = readdirSync('src').filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts')).sort();
mkdirSync('dist', { recursive: true });
for (const f of sources) {
  writeFileSync(\`dist/\${f.replace(/\\.ts$/, '.js')}\`, readFileSync(\`src/\${f}\`, 'utf8').replace(/^export interface[^}]*}\\n/gm, ''));
}
const name = JSON.parse(readFileSync('package.json', 'utf8')).name;
console.log(\`built \${name}: \${sources.length} files\`);
`;

function json(value) {
  return `${JSON.stringify(value, null, 2)}\n`;
}
function camel(stem) {
  return stem.replace(/[-.]([a-z0-9])/g, (_, c) => c.toUpperCase());
}
function pascal(stem) {
  const c = camel(stem);
  return c[0].toUpperCase() + c.slice(1);
}

export const gitEnv = {
  GIT_AUTHOR_NAME: 'kiln bench',
  GIT_AUTHOR_EMAIL: 'bench@kiln.invalid',
  GIT_COMMITTER_NAME: 'kiln bench',
  GIT_COMMITTER_EMAIL: 'bench@kiln.invalid',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** The npm version on PATH, for `packageManager` (turbo requires the field). */
export function installedNpmVersion() {
  try {
    return execFileSync('npm', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '10.0.0';
  }
}

/**
 * Writes a planned workspace to `dir` (which must not exist or be empty), links node_modules
 * (workspace packages, and nx/turbo from kiln's own node_modules) and commits it on `main`.
 * @param {{dir: string, projects: number, filesPerProject?: [number, number], seed?: number, git?: boolean, linkTools?: boolean, codeownersLines?: number}} options
 */
export function generateWorkspace(options) {
  const { dir, git = true, linkTools = true, ...planOptions } = options;
  if (typeof dir !== 'string' || dir === '') throw new TypeError('dir: expected a directory path');
  const plan = planWorkspace({ npmVersion: installedNpmVersion(), ...planOptions });
  mkdirSync(dir, { recursive: true });
  const made = new Set();
  for (const [path, content] of plan.files) {
    const parent = dirname(join(dir, path));
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    writeFileSync(join(dir, path), content);
  }
  linkNodeModules(dir, plan.projects, linkTools);
  if (git) {
    const run = (...args) => execFileSync('git', args, { cwd: dir, env: { ...process.env, ...gitEnv }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
    run('init', '-q', '-b', 'main');
    // No automatic gc: a detached one started by the commit repacks objects while the bench copies
    // the workspace (cp then fails on vanished loose objects), and runs beside the timed tools.
    run('config', 'gc.auto', '0');
    run('add', '-A');
    run('commit', '-q', '-m', 'generated workspace');
    // Packed, as a real clone is.
    run('gc', '-q');
  }
  return { dir, ...plan, files: undefined, fileCount: plan.files.size };
}

/** What `npm install` would link: node_modules/@bench/x → packages/x; plus nx and turbo. */
function linkNodeModules(dir, projects, linkTools) {
  const nm = join(dir, 'node_modules');
  mkdirSync(join(nm, SCOPE), { recursive: true });
  for (const p of projects) {
    const link = join(nm, p.name);
    if (!existsSync(link)) symlinkSync(relative(dirname(link), join(dir, p.dir)), link, 'dir');
  }
  if (!linkTools) return;
  const rootNm = join(kilnRepoRoot, 'node_modules');
  mkdirSync(join(nm, '.bin'), { recursive: true });
  mkdirSync(join(nm, '@turbo'), { recursive: true });
  for (const name of ['nx', 'turbo', '@turbo/linux-64', '@turbo/linux-arm64', '@turbo/darwin-64', '@turbo/darwin-arm64']) {
    if (existsSync(join(rootNm, name)) && !existsSync(join(nm, name))) symlinkSync(join(rootNm, name), join(nm, name), 'dir');
  }
  for (const bin of ['nx', 'turbo']) {
    if (existsSync(join(rootNm, '.bin', bin)) && !existsSync(join(nm, '.bin', bin))) symlinkSync(join(rootNm, '.bin', bin), join(nm, '.bin', bin));
  }
}

function cli(argv) {
  const get = (flag) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dir = get('--dir');
  const projects = Number(get('--projects') ?? '200');
  const seed = Number(get('--seed') ?? '1');
  const files = (get('--files') ?? '20,40').split(',').map(Number);
  if (!dir) {
    process.stderr.write('usage: node tools/bench/generate.mjs --dir DIR --projects N [--seed S] [--files MIN,MAX] [--force]\n');
    return 2;
  }
  if (existsSync(dir)) {
    if (!argv.includes('--force')) {
      process.stderr.write(`${dir} exists; pass --force to replace it\n`);
      return 2;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const started = Date.now();
  const ws = generateWorkspace({ dir: resolve(dir), projects, seed, filesPerProject: [files[0], files[1] ?? files[0]] });
  process.stderr.write(`wrote ${ws.projects.length} projects, ${ws.fileCount} files, ${ws.layers} layers in ${((Date.now() - started) / 1000).toFixed(1)} s; change target ${ws.changeTarget.file}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = cli(process.argv.slice(2));
