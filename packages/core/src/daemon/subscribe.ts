/**
 * The daemon's change batches, streamed: a `subscribe` request keeps its connection open and the
 * daemon writes one JSON line per batch its watcher closes (`{"kind":"batch","paths","overflow"}`),
 * after a first `{"kind":"subscribed"}` that says every later change will be sent. So `kiln
 * watch` shares the daemon's watcher instead of starting a second one over the same tree. The
 * daemon's watcher follows git's ignore rules only: a subscriber filters out what it ignores
 * itself (task outputs, .nxignore). A watcher in trouble (a watch limit) says so in a
 * `{"kind":"trouble"}` line and the connection ends; so does a daemon that stops. Either way the
 * subscriber learns it and can watch for itself.
 */
import { connect, type Socket } from 'node:net';
import type { WatchBatch, WatcherTrouble } from '../watcher/index.js';
import { readDaemonRecord } from './paths.js';
import { encode, otherBuild, PROTOCOL_VERSION, type DaemonRequest } from './protocol.js';

type Line = { kind: 'subscribed' } | ({ kind: 'batch' } & WatchBatch) | { kind: 'trouble'; message: string } | { kind: 'refused'; reason: string };

/** The server's side: the open subscriptions, fed by the daemon's watcher. */
export interface SubscriptionHub {
  /** Takes a `subscribe` request's socket (after its request was read); `alive` keeps the daemon from its idle stop while batches flow. */
  attach(socket: Socket, request: DaemonRequest, version: string, alive: () => void): void;
  publish(batch: WatchBatch): void;
  trouble(trouble: WatcherTrouble): void;
  close(): void;
}

export function subscriptionHub(): SubscriptionHub {
  const open = new Map<Socket, () => void>();
  const send = (socket: Socket, line: Line): void => void socket.write(`${JSON.stringify(line)}\n`);
  return {
    attach(socket, request, version, alive) {
      const other = otherBuild({ protocol: PROTOCOL_VERSION, version }, request);
      if (other !== undefined) {
        return void socket.end(`${JSON.stringify({ kind: 'refused', reason: other } satisfies Line)}\n`);
      }
      open.set(socket, alive);
      socket.on('close', () => open.delete(socket));
      send(socket, { kind: 'subscribed' });
    },
    publish(batch) {
      for (const [socket, alive] of open) {
        alive();
        send(socket, { kind: 'batch', paths: batch.paths, overflow: batch.overflow });
      }
    },
    trouble(t) {
      for (const socket of open.keys()) socket.end(`${JSON.stringify({ kind: 'trouble', message: t.message } satisfies Line)}\n`);
      open.clear();
    },
    close() {
      for (const socket of open.keys()) socket.end();
      open.clear();
    },
  };
}

/** The subscriber's side: batches until `close()`; `ended` says why the stream stopped (not called after `close()`). */
export interface Subscription {
  close(): void;
}

export interface SubscribeOptions {
  readonly root: string;
  readonly version: string;
  readonly onBatch: (batch: WatchBatch) => void;
  readonly ended: (reason: string) => void;
  readonly timeoutMs?: number;
}

/** Subscribes to the workspace's daemon; resolves once it has confirmed, or with the reason it could not. */
export function subscribeToDaemon(options: SubscribeOptions): Promise<Subscription | { readonly refused: string }> {
  const record = readDaemonRecord(options.root);
  if (record === undefined) return Promise.resolve({ refused: 'no daemon runs for this workspace' });
  const request = encode({ protocol: PROTOCOL_VERSION, version: options.version, op: 'subscribe', args: null, cwd: options.root, env: {} });
  return new Promise((resolve) => {
    let confirmed = false;
    let closed = false;
    let buffered = '';
    const socket = connect(record.socket);
    const fail = (reason: string): void => {
      clearTimeout(timer);
      socket.destroy();
      if (!confirmed) resolve({ refused: reason });
      else if (!closed) {
        closed = true;
        options.ended(reason);
      }
    };
    const timer = setTimeout(() => fail(`the daemon did not confirm the subscription within ${options.timeoutMs ?? 5000} ms`), options.timeoutMs ?? 5000);
    socket.on('connect', () => socket.end(`${request}\n`));
    socket.on('error', (e: NodeJS.ErrnoException) => fail(`the daemon's socket: ${e.code ?? e.message}`));
    socket.on('end', () => fail('the daemon closed the subscription (it stopped)'));
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
        const text = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let line: Line;
        try {
          line = JSON.parse(text) as Line;
        } catch {
          return fail('the daemon sent a broken line');
        }
        if (line.kind === 'subscribed') {
          clearTimeout(timer);
          confirmed = true;
          resolve({
            close() {
              closed = true;
              socket.destroy();
            },
          });
        } else if (line.kind === 'batch') {
          if (!closed) options.onBatch({ paths: line.paths, overflow: line.overflow });
        } else if (line.kind === 'trouble') return fail(`the daemon's watcher: ${line.message}`);
        else return fail(line.reason);
      }
    });
  });
}
