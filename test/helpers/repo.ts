/**
 * Test helpers for end-to-end tests: real git repositories in temp dirs built from inline file
 * trees, and the real `kiln` binary run as a child process.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const kilnBin = join(repoRoot, 'packages/cli/bin/kiln.js');

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

export interface TempRepo {
  readonly dir: string;
  git(...args: string[]): string;
  write(files: FileTree): void;
  commit(message: string, files?: FileTree): string;
  kiln(args: string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string }): KilnRun;
  cleanup(): void;
}

export interface KilnRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (throws with the output when it is not JSON). */
  json<T = any>(): T;
}

const gitEnv = {
  GIT_AUTHOR_NAME: 'kiln test',
  GIT_AUTHOR_EMAIL: 'test@kiln.invalid',
  GIT_COMMITTER_NAME: 'kiln test',
  GIT_COMMITTER_EMAIL: 'test@kiln.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** A new git repository (branch `main`) with `files` committed, unless `commit: false`. */
export function createRepo(files: FileTree = {}, options: { commit?: boolean; init?: boolean } = {}): TempRepo {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-test-')));
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: dir, env: { ...process.env, ...gitEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (options.init !== false) git('init', '-q', '-b', 'main');
  const write = (tree: FileTree) => writeTree(dir, tree);
  const commit = (message: string, tree: FileTree = {}): string => {
    write(tree);
    git('add', '-A');
    git('commit', '-q', '--allow-empty', '-m', message);
    return git('rev-parse', 'HEAD').trim();
  };
  write(files);
  if (options.init !== false && options.commit !== false) commit('initial');
  return {
    dir,
    git,
    write,
    commit,
    kiln: (args, opts = {}) => runKiln(args, { cwd: opts.cwd ?? dir, ...(opts.env && { env: opts.env }), ...(opts.input && { input: opts.input }) }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs the built kiln binary; CI=1 so output is plain and deterministic. */
export function runKiln(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): KilnRun {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [kilnBin, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...gitEnv, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0', ...options.env },
    encoding: 'utf8',
    input: options.input ?? '',
    maxBuffer: 1 << 28,
  });
  const run: KilnRun = {
    code: r.status ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    json() {
      try {
        return JSON.parse(r.stdout);
      } catch {
        throw new Error(`kiln ${args.join(' ')} did not print JSON (exit ${r.status}).\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      }
    },
  };
  return run;
}
