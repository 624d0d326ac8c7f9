#!/usr/bin/env node
/**
 * A configuration fuzzer: seeded, mutated nx.json, project.json, package.json, CODEOWNERS and
 * lockfiles, each fed to a kiln command. kiln must answer every input with a documented exit code
 * (0, 1 or 2), without an internal error or a stack trace, within 10 s, and with one JSON document
 * on stdout when asked for --json.
 *
 *   node tools/fuzz/config-fuzz.mjs [--count N] [--seed S]
 *
 * Runs the built CLI in this process (one temporary git repository, the mutated file written over
 * the original before each input and put back after), so thousands of inputs take a minute or two.
 * Prints one JSON line per input that broke a rule, then a summary line
 * `{"tried":N,"failures":F,"seed":S}`; exits 1 when any input broke a rule.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from '../bench/generate.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const count = option('count', 100);
const seed = option('seed', 1);
const LIMIT_MS = 10_000;

// Seeded, so a failure is reproduced by its seed and index.
const rng = prng(seed);
const random = rng.next;
const int = (n) => rng.int(0, n - 1);
const pick = rng.pick;

const BUILD = `node -e "require('fs').mkdirSync('dist',{recursive:true});require('fs').writeFileSync('dist/out.txt','x')"`;
const FILES = {
  'nx.json': JSON.stringify(
    {
      namedInputs: { default: ['{projectRoot}/**/*'], prod: ['default', '!{projectRoot}/**/*.test.ts'] },
      targetDefaults: { build: { dependsOn: ['^build'], inputs: ['prod', '^prod'], outputs: ['{projectRoot}/dist'], cache: true } },
      affected: { defaultBase: 'main' },
      release: { projects: ['a', 'b'] },
      kiln: { cacheDirectory: '.kiln/cache', cacheMaxSize: '1GB' },
    },
    null,
    2,
  ),
  'package.json': JSON.stringify({ name: 'ws', private: true, workspaces: ['packages/*'], devDependencies: { left: '^1.0.0' } }, null, 2),
  'packages/a/package.json': JSON.stringify({ name: 'a', version: '1.0.0', scripts: { build: BUILD, 'build:prod': BUILD }, dependencies: { b: '*' } }, null, 2),
  'packages/a/project.json': JSON.stringify({ name: 'a', tags: ['type:app'], implicitDependencies: ['c'], targets: { lint: { command: 'node -e 0' } } }, null, 2),
  'packages/a/src/index.ts': "import { b } from 'b';\nexport const a = b + 1;\n",
  'packages/b/package.json': JSON.stringify({ name: 'b', version: '1.0.0', scripts: { build: BUILD }, dependencies: { left: '^1.0.0' } }, null, 2),
  'packages/b/src/index.ts': 'export const b = 1;\n',
  'packages/c/project.json': JSON.stringify({ name: 'c', tags: ['type:lib'], targets: { build: { command: 'node -e 0', outputs: ['{projectRoot}/out'] } } }, null, 2),
  'packages/c/src/main.ts': 'export {};\n',
  'tsconfig.base.json': JSON.stringify({ compilerOptions: { paths: { b: ['packages/b/src/index.ts'] } } }, null, 2),
  CODEOWNERS: '* @org/all\n/packages/a/ @a-team\n*.md @docs\n[Section]\n/packages/c/ @c-team\n',
  'package-lock.json': JSON.stringify(
    {
      name: 'ws',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'ws', workspaces: ['packages/*'], devDependencies: { left: '^1.0.0' } },
        'node_modules/left': { version: '1.0.1', resolved: 'https://registry.npmjs.org/left/-/left-1.0.1.tgz', integrity: 'sha512-AAAA', dependencies: { right: '^2.0.0' } },
        'node_modules/right': { version: '2.0.0', resolved: 'https://registry.npmjs.org/right/-/right-2.0.0.tgz', integrity: 'sha512-BBBB' },
        'node_modules/a': { resolved: 'packages/a', link: true },
        'node_modules/b': { resolved: 'packages/b', link: true },
        'packages/a': { name: 'a', version: '1.0.0', dependencies: { b: '*' } },
        'packages/b': { name: 'b', version: '1.0.0', dependencies: { left: '^1.0.0' } },
      },
    },
    null,
    2,
  ),
};

/** Which commands read each file, with --json where the command has it. */
const COMMANDS = {
  json: [
    ['projects', '--json'],
    ['graph', '--json'],
    ['affected', '--json', '--files', 'packages/b/src/index.ts'],
    ['run', '-t', 'build', '--json'],
    ['affected', '-t', 'build', '--base', 'HEAD', '--json'],
  ],
  lockfile: [
    ['affected', '--base', 'HEAD', '--json'],
    ['run', '-t', 'build', '--json'],
  ],
  codeowners: [
    ['owners', 'lint', '--json'],
    ['owners', 'who', 'packages/a/src/index.ts', 'README.md', '--json'],
    ['owners', 'check', '--base', 'HEAD', '--json'],
  ],
};

const VALUES = [
  null, true, false, 0, -1, 1.5, 1e21, '', ' ', '*', '**', ':', '::', '!', '^', '^build', 'build', 'a:build', 'tag:*', 'tag:type:*',
  '../..', '/', '/etc', '.', '{projectRoot}', '{projectRoot}/**/*', '{workspaceRoot}/../x', 'a\nb', '\u0000', '\ufeff', 'x'.repeat(2000),
  [], {}, [null], [1, 2], ['*'], ['^build', 'build'], { a: 1 }, { dependsOn: 'build' }, { command: 1 }, { executor: 'nx:unknown' },
  { '': '' }, nest(60),
];
const KEYS = [
  'name', 'version', 'targets', 'dependsOn', 'inputs', 'outputs', 'namedInputs', 'targetDefaults', 'tags', 'implicitDependencies',
  'kiln', 'cacheDirectory', 'cacheMaxSize', 'restoreMode', 'workspaces', 'scripts', 'dependencies', 'devDependencies', 'executor',
  'options', 'command', 'commands', 'configurations', 'release', 'owners', 'affected', 'defaultBase', 'plugins', 'cache', 'root',
  'sourceRoot', 'projectType', 'nx', 'includedScripts', 'packages', 'lockfileVersion', 'resolved', 'integrity', 'link', 'projects',
  'registry', 'artifacts', 'environments', 'parallelism', 'env', 'runtime', 'externalDependencies', 'fileset', 'cwd', '__proto__', 'constructor',
];
const TOKENS = ['{', '}', '[', ']', '"', ':', ',', 'null', '1e999', '\ufeff', '// c\n', '/* c */', '\\', '\n', '\t', '"k": 1,', ', ,', '\u2028'];
const OWNER_TOKENS = ['!x', '[', ']', '\\', '**/**/**', '@', '#', '[S][0]', '^[S]', '[S][x]', '@a/', 'a@b', '\t', '\r\n', '*a*a*a*a*a*a*b', '/g//h/', '\ufeff', '@@developer', '?*?*?*?*f'];

function nest(depth) {
  let v = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
}

/** Replaces, removes or adds one node of a parsed JSON document. */
function mutateJson(doc) {
  const nodes = [];
  const walk = (value, parent, key, depth) => {
    if (parent !== undefined) nodes.push({ parent, key });
    if (depth > 8 || value === null || typeof value !== 'object') return;
    for (const k of Object.keys(value)) walk(value[k], value, Array.isArray(value) ? Number(k) : k, depth + 1);
  };
  walk(doc, undefined, undefined, 0);
  const root = doc !== null && typeof doc === 'object' ? doc : {};
  const choice = int(4);
  if (choice === 0 || nodes.length === 0) {
    const objects = [root, ...nodes.map((n) => n.parent[n.key]).filter((v) => v !== null && typeof v === 'object' && !Array.isArray(v))];
    const target = pick(objects);
    target[pick(KEYS)] = structuredClone(pick(VALUES));
    return root;
  }
  const n = pick(nodes);
  if (choice === 1) {
    if (Array.isArray(n.parent)) n.parent.splice(n.key, 1);
    else delete n.parent[n.key];
  } else n.parent[n.key] = structuredClone(pick(VALUES));
  return root;
}

/** Damages the text itself: a slice removed or repeated, a token put in, the end cut off. */
function mutateText(text, tokens) {
  const at = int(text.length + 1);
  switch (int(5)) {
    case 0:
      return text.slice(0, at) + text.slice(Math.min(text.length, at + 1 + int(20)));
    case 1:
      return text.slice(0, at) + pick(tokens) + text.slice(at);
    case 2:
      return text.slice(0, at) + text.slice(at, at + int(40)) + text.slice(at);
    case 3:
      return text.slice(0, at);
    default:
      return (random() < 0.5 ? '\ufeff' : '') + text.replace(/\n/g, random() < 0.5 ? '\r\n' : '\n');
  }
}

function mutate(file) {
  const original = FILES[file];
  if (file === 'CODEOWNERS') {
    let text = original;
    for (let i = 1 + int(3); i > 0; i--) text = mutateText(text, OWNER_TOKENS);
    return text;
  }
  if (random() < 0.6) {
    let doc = JSON.parse(original);
    for (let i = 1 + int(3); i > 0; i--) doc = mutateJson(doc);
    const text = JSON.stringify(doc, null, 2);
    return text === undefined ? 'null' : random() < 0.2 ? mutateText(text, TOKENS) : text;
  }
  return mutateText(original, TOKENS);
}

function git(dir, ...argv) {
  execFileSync('git', argv, {
    cwd: dir,
    stdio: 'ignore',
    env: { ...process.env, GIT_AUTHOR_NAME: 'f', GIT_AUTHOR_EMAIL: 'f@x', GIT_COMMITTER_NAME: 'f', GIT_COMMITTER_EMAIL: 'f@x', GIT_CONFIG_NOSYSTEM: '1' },
  });
}

const here = dirname(fileURLToPath(import.meta.url));
const { main } = await import(join(here, '../../packages/cli/dist/main.js'));
for (const k of Object.keys(process.env)) if (/^(KILN|NX|TURBO)_/.test(k)) delete process.env[k];
process.env.CI = '1';
process.env.NO_COLOR = '1';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-fuzz-')));
for (const [file, text] of Object.entries(FILES)) {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text);
}
writeFileSync(join(dir, '.gitignore'), 'dist/\nout/\n.kiln/\nnode_modules/\n');
git(dir, 'init', '-q', '-b', 'main');
git(dir, 'add', '-A');
git(dir, 'commit', '-q', '-m', 'init');

/** Runs `main` with stdout and stderr captured. */
async function kiln(argv) {
  const out = [];
  const err = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = (chunk) => (out.push(String(chunk)), true);
  process.stderr.write = (chunk) => (err.push(String(chunk)), true);
  const started = performance.now();
  let code;
  try {
    code = await main([...argv, '--cwd', dir]);
  } catch (e) {
    code = 70;
    err.push(String(e?.stack ?? e));
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  return { code, stdout: out.join(''), stderr: err.join(''), ms: performance.now() - started };
}

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;
let failures = 0;
const files = Object.keys(FILES).filter((f) => !f.endsWith('.ts'));
for (let i = 0; i < count; i++) {
  const file = pick(files);
  const text = mutate(file);
  const commands = file === 'CODEOWNERS' ? COMMANDS.codeowners : file === 'package-lock.json' ? COMMANDS.lockfile : COMMANDS.json;
  const argv = pick(commands);
  writeFileSync(join(dir, file), text);
  const r = await kiln(argv);
  writeFileSync(join(dir, file), FILES[file]);
  const problems = [];
  if (![0, 1, 2].includes(r.code)) problems.push(`exit ${r.code}`);
  if (/internal error/.test(r.stderr + r.stdout)) problems.push('internal error');
  if (STACK.test(r.stderr) || STACK.test(r.stdout)) problems.push('stack trace');
  if (r.ms > LIMIT_MS) problems.push(`took ${Math.round(r.ms)} ms`);
  if (argv.includes('--json')) {
    try {
      JSON.parse(r.stdout);
    } catch {
      problems.push('stdout is not one JSON document');
    }
  }
  if (problems.length > 0) {
    failures++;
    process.stdout.write(`${JSON.stringify({ input: i, seed, file, argv, problems, text: text.length > 4000 ? `${text.slice(0, 4000)}…` : text, stderr: r.stderr.slice(0, 2000) })}\n`);
  }
}
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ tried: count, failures, seed })}\n`);
process.exitCode = failures > 0 ? 1 : 0;
