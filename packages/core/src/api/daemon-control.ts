/**
 * `kiln daemon start|stop|status`: start one daemon per workspace and wait until it answers, stop
 * it and wait until it is gone, ask how it is.
 */
import { askDaemon } from '../daemon/client.js';
import { readDaemonRecord, type DaemonRecord } from '../daemon/paths.js';
import type { DaemonStatus } from '../daemon/protocol.js';
import { diagnostic, KilnError } from '../model/index.js';
import { requireWorkspaceRoot } from '../workspace/find-root.js';
import { startDaemon } from './daemon-client.js';

export type { DaemonStatus } from '../daemon/protocol.js';
export { serveWorkspaceDaemon } from './daemon-serve.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The running daemon's status, or undefined when none answers. */
export async function daemonStatus(cwd: string, version: string): Promise<DaemonStatus | undefined> {
  const root = requireWorkspaceRoot(cwd);
  const asked = await askDaemon({ root, op: 'status', version, timeoutMs: 10_000 });
  return asked.kind === 'answer' ? (asked.value as DaemonStatus) : undefined;
}

/** Starts the workspace's daemon unless one runs; resolves once it answers. */
export async function daemonStart(cwd: string, version: string, bin: string, env: NodeJS.ProcessEnv): Promise<{ record: DaemonRecord; started: boolean }> {
  const root = requireWorkspaceRoot(cwd);
  const running = await ping(root, version);
  if (running) return { record: running, started: false };
  const pid = startDaemon(root, bin, env);
  for (let waited = 0; waited < 60_000; waited += 50) {
    await sleep(50);
    const record = await ping(root, version);
    if (record) return { record, started: true };
    if (pid !== undefined && !alive(pid)) break;
  }
  throw new KilnError(diagnostic('daemon-failed', `the daemon for ${root} did not start.`, { hint: 'See .kiln/daemon.log.' }));
}

/** Stops the workspace's daemon; resolves once its process is gone (undefined: none ran). */
export async function daemonStop(cwd: string, version: string): Promise<DaemonRecord | undefined> {
  const root = requireWorkspaceRoot(cwd);
  const record = readDaemonRecord(root);
  if (record === undefined) return undefined;
  const asked = await askDaemon({ root, op: 'stop', version, timeoutMs: 10_000 });
  if (asked.kind !== 'answer' && !alive(record.pid)) return undefined;
  for (let waited = 0; alive(record.pid) && waited < 10_000; waited += 50) await sleep(50);
  if (alive(record.pid)) process.kill(record.pid, 'SIGTERM');
  return record;
}

async function ping(root: string, version: string): Promise<DaemonRecord | undefined> {
  const asked = await askDaemon({ root, op: 'ping', version, timeoutMs: 5_000 });
  return asked.kind === 'answer' ? readDaemonRecord(root) : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
