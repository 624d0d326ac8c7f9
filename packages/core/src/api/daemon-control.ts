/**
 * `kiln daemon start|stop|status`: start one daemon per workspace and wait until it answers, stop
 * it and wait until it is gone, ask how it is.
 */
import { askDaemon } from '../daemon/client.js';
import { readDaemonRecord, type DaemonRecord } from '../daemon/paths.js';
import { otherBuild, PROTOCOL_VERSION, type DaemonPing, type DaemonStatus } from '../daemon/protocol.js';
import { diagnostic, KilnError } from '../model/index.js';
import { requireWorkspaceRoot } from '../workspace/find-root.js';
import { startDaemon } from './daemon-client.js';

export type { DaemonStatus } from '../daemon/protocol.js';
export { serveWorkspaceDaemon } from './daemon-serve.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The running daemon's status, with whether it is of this CLI's build (else it answers nothing); undefined when none answers. */
export async function daemonStatus(cwd: string, version: string): Promise<(DaemonStatus & { readonly otherBuild: string | null }) | undefined> {
  const root = requireWorkspaceRoot(cwd);
  const asked = await askDaemon({ root, op: 'status', version, timeoutMs: 10_000 });
  if (asked.kind !== 'answer') return undefined;
  const status = asked.value as DaemonStatus;
  return { ...status, otherBuild: otherBuild(status, { protocol: PROTOCOL_VERSION, version }) ?? null };
}

/**
 * Starts the workspace's daemon unless one of this CLI's build runs; one of another build (which
 * answers nothing) is stopped and replaced. Resolves once the daemon answers.
 */
export async function daemonStart(
  cwd: string,
  version: string,
  bin: string,
  env: NodeJS.ProcessEnv,
): Promise<{ record: DaemonRecord; started: boolean; replaced?: { pid: number; version: string } }> {
  const root = requireWorkspaceRoot(cwd);
  const running = await ping(root, version);
  let replaced: { pid: number; version: string } | undefined;
  if (running) {
    if (otherBuild(running.ping, { protocol: PROTOCOL_VERSION, version }) === undefined) return { record: running.record, started: false };
    replaced = { pid: running.record.pid, version: running.ping.version ?? 'unknown' };
    await daemonStop(cwd, version);
  }
  const pid = startDaemon(root, bin, env);
  for (let waited = 0; waited < 60_000; waited += 50) {
    await sleep(50);
    const record = (await ping(root, version))?.record;
    if (record?.version === version) return { record, started: true, ...(replaced && { replaced }) };
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

/** The answering daemon's record and what it says of its build (a daemon older than `DaemonPing` says only its pid). */
async function ping(root: string, version: string): Promise<{ record: DaemonRecord; ping: Partial<DaemonPing> & { protocol: number; version: string } } | undefined> {
  const asked = await askDaemon({ root, op: 'ping', version, timeoutMs: 5_000 });
  const record = asked.kind === 'answer' ? readDaemonRecord(root) : undefined;
  if (record === undefined || asked.kind !== 'answer') return undefined;
  const said = asked.value as Partial<DaemonPing>;
  return { record, ping: { ...said, protocol: said.protocol ?? 0, version: said.version ?? record.version } };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
