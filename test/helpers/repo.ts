/**
 * The test kit for end-to-end and edge tests: temporary git repositories built from inline file
 * trees, git and the real `kiln` binary run with the one test environment (./env.ts), and
 * temporary directories that go away on their own.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gitClock, kilnBin, testEnv } from './env.js';

export { kilnBin, repoRoot, testEnv } from './env.js';

/** A file tree: path → contents (objects are written as JSON). */
export type FileTree = Record<string, string | object>;

export function writeTree(dir: string, files: FileTree): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
}

export function removePaths(dir: string, paths: string[]): void {
  for (const p of paths) rmSync(join(dir, p), { recursive: true, force: true });
}

const leftovers = new Set<string>();
const running = new Set<ChildProcess>();

/**
 * After a test file (./setup-env.ts): stops the programs its tests left running (a test that
 * timed out) and removes the temporary directories they did not.
 */
export function cleanUpAfterFile(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
  for (const dir of leftovers) rmSync(dir, { recursive: true, force: true });
  leftovers.clear();
}

/** A new empty directory (its real path), removed after the test file if the test did not. */
export function tempDir(prefix = 'kiln-test-'): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  leftovers.add(dir);
  return dir;
}

/** Whether a process with this pid exists (a zombie not yet reaped counts: it has not been waited for). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs git in `cwd` with the test environment; returns its stdout (throws with stderr on failure). */
export function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = testEnv()): string {
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface KilnOptions {
  /** Added to the test environment. */
  env?: NodeJS.ProcessEnv;
  /** Default: the repository. */
  cwd?: string;
  input?: string;
  /** Another build of kiln's bin/kiln.js. */
  bin?: string;
}

export interface TempRepo {
  readonly dir: string;
  git(...args: string[]): string;
  write(files: FileTree): void;
  commit(message: string, files?: FileTree): string;
  kiln(args: string[], options?: KilnOptions): KilnRun;
  /** Starts kiln in the repository without waiting for it. */
  startKiln(args: string[], options?: Omit<KilnOptions, 'input' | 'bin'>): Started;
  cleanup(): void;
}

/** A finished run of kiln (or of another program). */
export interface ProcessRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (throws with the output when it is not JSON). */
  json<T = any>(): T;
}
export type KilnRun = ProcessRun;

/**
 * A new git repository (branch `main`) with `files` committed, unless `commit: false`; with
 * `init: false`, a plain directory. Each git command runs one second after the previous one.
 */
export function createRepo(files: FileTree = {}, options: { commit?: boolean; init?: boolean } = {}): TempRepo {
  const dir = tempDir();
  const tick = gitClock();
  let now = tick();
  const runGit = (...args: string[]): string => {
    now = tick();
    return git(dir, args, testEnv({}, now));
  };
  if (options.init !== false) runGit('init', '-q', '-b', 'main');
  const write = (tree: FileTree) => writeTree(dir, tree);
  const commit = (message: string, tree: FileTree = {}): string => {
    write(tree);
    runGit('add', '-A');
    runGit('commit', '-q', '--allow-empty', '-m', message);
    return runGit('rev-parse', 'HEAD').trim();
  };
  write(files);
  if (options.init !== false && options.commit !== false) commit('initial');
  return {
    dir,
    git: runGit,
    write,
    commit,
    kiln: (args, opts = {}) => runKiln(args, { ...opts, cwd: opts.cwd ?? dir, time: now }),
    startKiln: (args, opts = {}) => startKiln(args, { ...opts, cwd: opts.cwd ?? dir, time: now }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function finishedRun(label: string, code: number, stdout: string, stderr: string): ProcessRun {
  return {
    code,
    stdout,
    stderr,
    json() {
      try {
        return JSON.parse(stdout);
      } catch {
        throw new Error(`${label} did not print JSON (exit ${code}).\nstdout:\n${stdout}\nstderr:\n${stderr}`);
      }
    },
  };
}

/** Where and how to run a program: `env` is added to the test environment, `time` is its git clock. */
export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  time?: number;
}

/** Runs the built kiln binary (or another build of it, `bin`) and waits for it. */
export function runKiln(args: string[], options: RunOptions & { input?: string; bin?: string }): ProcessRun {
  const r = spawnSync(process.execPath, [options.bin ?? kilnBin, ...args], {
    cwd: options.cwd,
    env: testEnv(options.env, options.time),
    encoding: 'utf8',
    input: options.input ?? '',
    maxBuffer: 1 << 28,
  });
  return finishedRun(`kiln ${args.join(' ')}`, r.status ?? -1, r.stdout, r.stderr);
}

export interface Started {
  readonly child: ChildProcess;
  /** Resolves when the process has exited and its output is complete. */
  readonly done: Promise<ProcessRun>;
}

/**
 * Starts a program without blocking the test worker (a worker blocked for long cannot report to
 * vitest); `env` is added to the test environment.
 */
export function start(command: string, args: string[], options: RunOptions): Started {
  const child = spawn(command, args, { cwd: options.cwd, env: testEnv(options.env, options.time), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<ProcessRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(finishedRun([command, ...args].join(' '), code ?? 128 + (signal ? constants.signals[signal] : 0), stdout, stderr)));
  });
  return { child, done };
}

/** Starts the built kiln binary without waiting for it. */
export function startKiln(args: string[], options: RunOptions): Started {
  return start(process.execPath, [kilnBin, ...args], options);
}
