/**
 * Asking a workspace's daemon: connect to its socket, send one request, read one answer. Kept
 * light (node's net and fs only) since every routed command pays for it. Any doubt (no daemon, a
 * refused or silent socket, a broken answer, another version) comes back as a reason, and the
 * caller answers directly.
 */
import { connect } from 'node:net';
import { decode, encode, PROTOCOL_VERSION, type DaemonResponse } from './protocol.js';
import { readDaemonRecord } from './paths.js';

export type Asked = DaemonResponse | { readonly kind: 'unreachable'; readonly reason: string };

export interface AskOptions {
  readonly root: string;
  readonly op: string;
  readonly args?: unknown;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly version: string;
  /** How long to wait for the answer (the daemon may be computing it). */
  readonly timeoutMs?: number;
}

export function askDaemon(options: AskOptions): Promise<Asked> {
  const record = readDaemonRecord(options.root);
  if (record === undefined) return Promise.resolve({ kind: 'unreachable', reason: 'no daemon runs for this workspace' });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  const request = encode({ protocol: PROTOCOL_VERSION, version: options.version, op: options.op, args: options.args ?? null, cwd: options.cwd ?? options.root, env });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (answer: Asked): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const socket = connect(record.socket);
    const timer = setTimeout(() => done({ kind: 'unreachable', reason: `the daemon did not answer within ${options.timeoutMs ?? 30000} ms` }), options.timeoutMs ?? 30000);
    socket.on('connect', () => socket.end(`${request}\n`));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => done({ kind: 'unreachable', reason: `the daemon's socket: ${e.code ?? e.message}` }));
    socket.on('end', () => {
      try {
        done(decode(Buffer.concat(chunks).toString('utf8')) as DaemonResponse);
      } catch {
        done({ kind: 'unreachable', reason: 'the daemon sent a broken answer' });
      }
    });
  });
}
