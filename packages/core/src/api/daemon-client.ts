/**
 * Whether a command asks the workspace's daemon, and the asking: the one rule, for every routed
 * command. Off with KILN_DAEMON=0, off in CI unless KILN_DAEMON=1, off with `"kiln": {"daemon":
 * false}`; otherwise used when one runs, and started for next time when nx.json says `true` (or
 * KILN_DAEMON=1), which also replaces a running daemon of another kiln build, as Nx restarts its
 * daemon after an upgrade. Light on purpose (no engine): every routed command loads it first.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { askDaemon, type Asked } from '../daemon/client.js';
import { readDaemonRecord } from '../daemon/paths.js';
import { daemonSettingOf } from '../workspace/kiln-config.js';
import { findWorkspaceRoot } from '../workspace/find-root.js';
import { parseJson } from '../workspace/json.js';
import { trace } from '../trace/index.js';

export type { Asked } from '../daemon/client.js';
export type { RunCheckAnswer, RunCheckArgs } from '../daemon/run-check.js';
export { requireWorkspaceRoot } from '../workspace/find-root.js';

export interface DaemonQuestion {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly op: string;
  readonly args: unknown;
  readonly version: string;
  /** The kiln binary, to start the daemon with when nx.json asks for one. */
  readonly bin: string;
  /** How long to wait for the answer before answering directly (default 2 minutes: the daemon may be computing it). */
  readonly timeoutMs?: number;
}

/** The daemon's answer, or why the command answers directly. */
export async function askWorkspaceDaemon(q: DaemonQuestion): Promise<Asked | { kind: 'direct'; reason: string }> {
  const flag = q.env.KILN_DAEMON;
  if (flag === '0' || flag === 'false') return { kind: 'direct', reason: 'KILN_DAEMON=0' };
  if (q.env.CI !== undefined && q.env.CI !== '' && q.env.CI !== 'false' && flag !== '1' && flag !== 'true')
    return { kind: 'direct', reason: 'off in CI (KILN_DAEMON=1 turns it on)' };
  const root = findWorkspaceRoot(q.cwd);
  if (root === undefined) return { kind: 'direct', reason: 'no workspace' };
  const record = readDaemonRecord(root);
  const setting = record !== undefined || flag !== '1' ? daemonSetting(root) : undefined;
  if (setting === false) return { kind: 'direct', reason: 'nx.json says "kiln": {"daemon": false}' };
  const wanted = setting === true || flag === '1' || flag === 'true';
  if (record === undefined) {
    if (wanted) startDaemon(root, q.bin, q.env);
    return { kind: 'direct', reason: 'no daemon runs for this workspace' };
  }
  // Its record names its build: one of another build answers nothing, so this command does not wait on it.
  if (wanted && record.version !== q.version) {
    spawnDetached(root, [q.bin, 'daemon', 'start'], q.env);
    return { kind: 'direct', reason: `the daemon is kiln ${record.version}, this is ${q.version}: replacing it for the next command` };
  }
  const started = performance.now();
  const asked = await askDaemon({ root, op: q.op, args: q.args, cwd: q.cwd, env: q.env, version: q.version, timeoutMs: q.timeoutMs ?? 120_000 });
  trace(
    `daemon ${q.op}: ${asked.kind === 'answer' ? `answered (${asked.source})` : asked.kind === 'error' ? 'an error' : asked.reason} ${Math.round(performance.now() - started)}ms`,
  );
  return asked;
}

function daemonSetting(root: string): boolean | undefined {
  try {
    const text = readFileSync(join(root, 'nx.json'), 'utf8');
    // Plain JSON (the common case) without loading the full reader (comments, located errors): 10 ms saved on every routed command.
    try {
      return daemonSettingOf(JSON.parse(text));
    } catch {
      // comments, a BOM, or broken: the full reader below
    }
    const parsed = parseJson(text, 'nx.json');
    return parsed.ok ? daemonSettingOf(parsed.value.value) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the workspace's daemon in the background (`kiln daemon serve`), logging to `.kiln/daemon.log`; returns its pid. */
export function startDaemon(root: string, bin: string, env: NodeJS.ProcessEnv): number | undefined {
  // --expose-gc: the daemon returns a computation's garbage when it goes quiet (daemon/server.ts).
  return spawnDetached(root, ['--expose-gc', bin, 'daemon', 'serve'], env);
}

/** Runs `node ...args` in the workspace, detached from this process, its output appended to `.kiln/daemon.log`; returns its pid. */
function spawnDetached(root: string, args: readonly string[], env: NodeJS.ProcessEnv): number | undefined {
  mkdirSync(join(root, '.kiln'), { recursive: true });
  const log = openSync(join(root, '.kiln', 'daemon.log'), 'a');
  try {
    const child = spawn(process.execPath, args, { cwd: root, env, detached: true, stdio: ['ignore', log, log] });
    child.on('error', () => undefined);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}
