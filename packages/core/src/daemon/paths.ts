/**
 * Where a workspace's daemon is found: `.kiln/daemon.json` records its pid, version and socket.
 * The socket is `.kiln/daemon.sock` unless that path is too long for a Unix socket (about 107
 * bytes); then it is a short path in the temporary folder named by a digest of the workspace root.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RECORD_FILE = '.kiln/daemon.json';
/** sun_path holds 108 bytes on Linux (104 on macOS), the terminating zero included. */
const SOCKET_PATH_LIMIT = 100;

export interface DaemonRecord {
  readonly pid: number;
  readonly version: string;
  readonly socket: string;
  readonly root: string;
  readonly startedAt: string;
}

/** The socket path for a workspace root. */
export function socketPathFor(root: string): string {
  const preferred = join(root, '.kiln', 'daemon.sock');
  if (Buffer.byteLength(preferred) <= SOCKET_PATH_LIMIT) return preferred;
  return join(tmpdir(), `kiln-${createHash('sha256').update(root).digest('hex').slice(0, 16)}.sock`);
}

/** The record of the workspace's daemon, if one was started (it may have died since). */
export function readDaemonRecord(root: string): DaemonRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(root, RECORD_FILE), 'utf8')) as DaemonRecord;
    return typeof r.socket === 'string' && typeof r.pid === 'number' && r.root === root ? r : undefined;
  } catch {
    return undefined;
  }
}
