/**
 * The daemon's server: a Unix socket, the workspace watcher, and the operations' answers kept in
 * memory. Requests are answered one at a time (an operation sees the asking CLI's environment
 * and working directory, as it would in its own process).
 *
 * Nothing stale: before every answer the watcher's barrier proves that every change made before
 * the request was seen. An answer kept in memory is given again only while no event has arrived
 * since it was computed (the watcher's `seq`) and git's HEAD, index, packed refs and the files git
 * reads besides the work tree (its configuration, excludes and attributes files: git-state.ts) have
 * the stats they had (the watched ones' events move `seq` too; the stats also cover a write the
 * watcher missed).
 * Otherwise the operation runs again, here, warm: it asks git as the CLI would, so its answer is
 * the direct answer. When the barrier does not come back, the watcher reports a limit or an
 * error, or the CLI is another version, the answer is "unprovable" and the CLI answers directly.
 * After each batch of changes the most recent questions are answered again ahead of being asked.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { KilnError } from '../model/diagnostic.js';
import { startWatcher, type Watcher } from '../watcher/index.js';
import { readDaemonRecord, RECORD_FILE, socketPathFor, type DaemonRecord } from './paths.js';
import { decode, encode, otherBuild, PROTOCOL_VERSION, type DaemonPing, type DaemonRequest, type DaemonResponse, type DaemonStatus } from './protocol.js';
import { gitStateHolds, readGitState, type GitState } from './git-state.js';
import { stampOf } from './stamp.js';
import { subscriptionHub } from './subscribe.js';

export interface DaemonOperation {
  run(args: unknown, cwd: string, env: NodeJS.ProcessEnv): Promise<unknown>;
  /** Whether its answer depends only on the work tree, git and the request (so memory may give it again). */
  readonly memo: boolean;
  /**
   * For an answer that depends on more than the watched work tree (and on only some of the env):
   * the kept answer's key leaves the env out, and it is given again only while `holds` says so.
   */
  readonly holds?: (value: unknown, env: Readonly<Record<string, string>>) => boolean;
  /** For such an answer: `stale` is to be called when what else it depends on changes (its questions are then answered again ahead of being asked). */
  readonly watchStale?: (stale: () => void) => void;
  /** The folders its own watches hold (for `status`). */
  readonly watchedFolders?: () => number;
}

export interface ServeOptions {
  readonly root: string;
  readonly version: string;
  readonly operations: Readonly<Record<string, DaemonOperation>>;
  /** What the watcher leaves out, and how to read it again when the files it comes from change (the watch is then renewed). */
  readonly ignoreRules: IgnoreRules;
  /** Stop after this long without a request. */
  readonly idleMs: number;
  readonly log?: (line: string) => void;
}

interface Kept {
  readonly seq: number;
  /** What git read besides the work tree when the answer was computed (undefined: git's folder is elsewhere, never kept). */
  readonly git: GitState | undefined;
  readonly value: unknown;
}

/** Questions answered again after each batch of changes, most recent first. */
const REFRESHED = 3;
/** The quiet after a computed answer before its garbage is collected (see `collectWhenQuiet`). */
const COLLECT_AFTER_MS = 500;
/** How often an idle daemon looks whether its workspace still exists (its removal's events usually tell first). */
const GONE_CHECK_MS = 60_000;
/** The quiet after which an operation's own watches' events (a build writing outputs) count as a batch. */
const STALE_QUIET_MS = 200;

/** Serves until stopped (a `stop` request, the idle timeout, the workspace gone); resolves then. */
export async function serveDaemon(options: ServeOptions): Promise<void> {
  const { root, version } = options;
  const log = options.log ?? (() => undefined);
  // Whatever the daemon asks git runs beside the user's own git commands: none may take git's optional index lock
  // (each request sets this too; this also covers a git process an answer left running after it).
  process.env.GIT_OPTIONAL_LOCKS = '0';
  const socketPath = socketPathFor(root);
  mkdirSync(join(root, '.kiln'), { recursive: true });
  if (await answers(socketPath)) {
    log(`a daemon already serves ${root}`);
    return;
  }
  rmSync(socketPath, { force: true });
  const started = Date.now();
  const kept = new Map<string, Kept>();
  const recent: { key: string; request: DaemonRequest }[] = [];
  const counts = { memory: 0, computed: 0, unprovable: 0 };
  let queue: Promise<unknown> = Promise.resolve();
  let stopping = false;
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const next = queue.then(job, job);
    queue = next.catch(() => undefined);
    return next;
  };

  const hub = subscriptionHub(); // `kiln watch` sessions streaming the batches (subscribe.ts)
  let workspaceGone = (): void => undefined;
  const watchWith = (isIgnored: LoadedIgnoreRules['isIgnored']): Watcher =>
    startWatcher(root, {
      isIgnored,
      onBatch: (batch) => {
        hub.publish(batch);
        // A removed workspace shows as a batch of removals: stop at once (the interval below is a backstop).
        if (existsSync(root)) void refreshRecent();
        else workspaceGone();
      },
      onTrouble: (t) => {
        log(`watcher: ${t.message}`);
        kept.clear();
        hub.trouble(t);
      },
    });
  const { ignoreRules } = options;
  let rulesStamp = filesStamp(root, ignoreRules.files);
  let alsoStamp = filesStamp(root, ignoreRules.alsoFrom ?? []);
  let rules = await ignoreRules.load();
  let watcher: Watcher = watchWith(rules.isIgnored);
  await watcher.ready;
  /**
   * When a file the rules come from changed: the rules read again and, if they differ, a new watch
   * ready, then the old one closed and memory cleared. False when the rules cannot be read
   * (nothing is answered until they can).
   */
  async function renewIfRulesChanged(): Promise<boolean> {
    const stamp = filesStamp(root, ignoreRules.files);
    const also = filesStamp(root, ignoreRules.alsoFrom ?? []);
    if ((stamp === rulesStamp && also === alsoStamp) || stopping) return true;
    let loaded: LoadedIgnoreRules;
    try {
      loaded = await ignoreRules.load();
    } catch (error) {
      kept.clear();
      log(`the ignore rules could not be read again: ${(error as Error).message}`);
      return false;
    }
    if (loaded.key !== rules.key) {
      log(`the ignore rules changed (${[...ignoreRules.files, ...(ignoreRules.alsoFrom ?? [])].join(', ')}): watching again with the new rules`);
      const renewed = watchWith(loaded.isIgnored);
      await renewed.ready;
      const old = watcher;
      watcher = renewed;
      kept.clear();
      await old.close();
    }
    [rules, rulesStamp, alsoStamp] = [loaded, stamp, also];
    return true;
  }
  const collector = collectWhenQuiet();
  const staleTimer = watchOperationsStale(options.operations, () => void refreshRecent());
  const gitIsHere = isFolder(join(root, '.git'));
  /** The last state of git's files read (reused while it holds: `git config` runs only after a change). */
  let gitState: GitState | undefined;

  async function answer(request: DaemonRequest, refreshing = false): Promise<DaemonResponse> {
    const other = otherBuild({ protocol: PROTOCOL_VERSION, version }, request);
    if (other !== undefined) return { kind: 'unprovable', reason: other };
    const operation = options.operations[request.op];
    if (operation === undefined) return { kind: 'unprovable', reason: `the daemon does not answer "${request.op}"` };
    const trouble = watcher.trouble();
    if (trouble !== undefined) return { kind: 'unprovable', reason: trouble.message };
    if (!(await watcher.barrier())) return { kind: 'unprovable', reason: 'the watcher did not confirm the latest changes in time' };
    // An ignore file edited: the watch is renewed before anything is answered (on a question only: a
    // removed workspace also removes its .gitignore, and a new watch would write into it again).
    if (refreshing && filesStamp(root, ignoreRules.files) !== rulesStamp) {
      kept.clear();
      return { kind: 'unprovable', reason: 'not asked' };
    }
    if (!(await renewIfRulesChanged())) return { kind: 'unprovable', reason: 'the ignore rules changed and could not be read again' };
    const key = memoKey(request, operation);
    const seq = watcher.seq();
    const memory = kept.get(key);
    if (memory?.git !== undefined && memory.seq === seq && gitStateHolds(memory.git, request.env) && (operation.holds?.(memory.value, request.env) ?? true))
      return { kind: 'answer', value: memory.value, source: 'memory' };
    if (refreshing && memory === undefined) return { kind: 'unprovable', reason: 'not asked' };
    try {
      // GIT_OPTIONAL_LOCKS=0: git status does not take the index lock to refresh it, so a git command the user runs meanwhile never finds it taken.
      const { git, value } = await withEnv({ ...request.env, GIT_OPTIONAL_LOCKS: '0' }, async () => {
        // Read before the operation asks git: a change of git's files from here on moves their stamp.
        const git = gitIsHere ? (gitState = await readGitState(root, request.env, gitState)) : undefined;
        return { git, value: await operation.run(request.args, request.cwd, request.env) };
      });
      if (operation.memo && watcher.trouble() === undefined) {
        kept.set(key, { seq, git, value });
        remember(key, request);
      }
      collector.poke();
      return { kind: 'answer', value, source: 'computed' };
    } catch (error) {
      kept.delete(key);
      if (error instanceof KilnError) return { kind: 'error', diagnostics: error.diagnostics, exitCode: error.exitCode };
      return { kind: 'unprovable', reason: `the daemon failed: ${(error as Error).message ?? String(error)}` };
    }
  }

  function remember(key: string, request: DaemonRequest): void {
    const at = recent.findIndex((r) => r.key === key);
    if (at !== -1) recent.splice(at, 1);
    recent.unshift({ key, request });
    for (const dropped of recent.splice(REFRESHED)) kept.delete(dropped.key);
  }

  /** After a batch of changes: the recent questions, answered again (in the queue, behind any asked meanwhile). */
  function refreshRecent(): Promise<unknown> {
    return serial(async () => {
      for (const { request } of [...recent]) if (!stopping) await answer(request, true);
    });
  }

  const status = (): DaemonStatus => ({
    pid: process.pid,
    root,
    version,
    protocol: PROTOCOL_VERSION,
    socket: socketPath,
    uptimeMs: Date.now() - started,
    rssBytes: process.memoryUsage.rss(),
    watchedFolders: watcher.watchedFolders(),
    watchedFiles: watcher.watchedFiles(),
    runCheckFolders: Object.values(options.operations).reduce((n, o) => n + (o.watchedFolders?.() ?? 0), 0),
    lastEventAt: watcher.lastEventAt() === undefined ? null : new Date(watcher.lastEventAt()!).toISOString(),
    answers: { ...counts },
    trouble: watcher.trouble()?.message ?? null,
  });

  let idle: NodeJS.Timeout | undefined;
  const stopped = new Promise<void>((resolve) => {
    const stop = async (why: string): Promise<void> => {
      if (stopping) return;
      stopping = true;
      log(`stopping: ${why}`);
      clearTimeout(idle);
      clearInterval(gone);
      staleTimer.stop();
      collector.stop();
      server.close();
      hub.close();
      await watcher.close();
      rmSync(socketPath, { force: true });
      if (readDaemonRecord(root)?.pid === process.pid) rmSync(join(root, RECORD_FILE), { force: true });
      resolve();
    };
    const resetIdle = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => void stop(`idle for ${options.idleMs} ms`), options.idleMs);
    };
    // The workspace removed: nothing to serve (a stat every minute; nothing else runs while idle).
    workspaceGone = () => void stop('the workspace is gone');
    const gone = setInterval(() => existsSync(root) || workspaceGone(), GONE_CHECK_MS);
    // Half-open: the client ends its side after the request and waits for the answer on the other.
    const server: Server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', () => undefined);
      socket.on('end', () => {
        resetIdle();
        let request: DaemonRequest;
        try {
          request = decode(Buffer.concat(chunks).toString('utf8')) as DaemonRequest;
        } catch {
          socket.end(encode({ kind: 'unprovable', reason: 'a broken request' }));
          return;
        }
        const ping: DaemonPing = { pid: process.pid, version, protocol: PROTOCOL_VERSION };
        if (request.op === 'ping') return void socket.end(encode({ kind: 'answer', value: ping, source: 'computed' }));
        if (request.op === 'subscribe') return hub.attach(socket, request, version, resetIdle);
        if (request.op === 'status') return void socket.end(encode({ kind: 'answer', value: status(), source: 'computed' }));
        if (request.op === 'stop') {
          socket.end(encode({ kind: 'answer', value: { pid: process.pid }, source: 'computed' }));
          return void stop('asked to');
        }
        void serial(() => answer(request)).then((response) => {
          if (response.kind === 'answer') counts[response.source]++;
          else if (response.kind === 'unprovable') counts.unprovable++;
          socket.end(encodeResponse(response));
        });
      });
    });
    server.on('error', (e) => {
      log(`socket: ${e.message}`);
      void stop('the socket failed');
    });
    server.listen(socketPath, () => {
      const record: DaemonRecord = { pid: process.pid, version, socket: socketPath, root, startedAt: new Date(started).toISOString() };
      const tmp = join(root, `${RECORD_FILE}.${process.pid}.tmp`);
      writeFileSync(tmp, JSON.stringify(record));
      renameSync(tmp, join(root, RECORD_FILE));
      log(`serving ${root} on ${socketPath}`);
      resetIdle();
    });
  });
  return stopped;
}

/** Kept answers as sent before: given again from memory, an answer is not encoded again (1,000 tasks of a run: 2-10 ms). */
const encodedValues = new WeakMap<object, string>();

function encodeResponse(response: DaemonResponse): string {
  if (response.kind !== 'answer' || response.value === null || typeof response.value !== 'object') return encode(response);
  let value = encodedValues.get(response.value);
  if (value === undefined) encodedValues.set(response.value, (value = encode(response.value)));
  return `{"kind":"answer","value":${value},"source":${JSON.stringify(response.source)}}`;
}

/**
 * A full garbage collection once the daemon has been quiet for a moment after computing: an
 * answer at 5,000 projects leaves some 90 MB of garbage that V8 would otherwise keep (resident)
 * until the next computation, while the state kept is about 35 MB. Needs node's `--expose-gc`
 * (the daemon is started with it); without, nothing happens.
 */
function collectWhenQuiet(): { poke(): void; stop(): void } {
  const gc = (globalThis as { gc?: () => void }).gc;
  let timer: NodeJS.Timeout | undefined;
  return {
    poke() {
      clearTimeout(timer);
      if (gc !== undefined) timer = setTimeout(gc, COLLECT_AFTER_MS);
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

/** Calls `refresh` once the operations' own watches have been quiet for a while after an event. */
function watchOperationsStale(operations: ServeOptions['operations'], refresh: () => void): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  for (const operation of Object.values(operations))
    operation.watchStale?.(() => {
      clearTimeout(timer);
      if (!stopped) timer = setTimeout(refresh, STALE_QUIET_MS);
    });
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Where the watcher's ignore rules come from. */
export interface IgnoreRules {
  /** Workspace-relative files the rules are read from (the root `.gitignore`). */
  readonly files: readonly string[];
  /** Workspace-relative files whose change may change the rules too (git's index: what is tracked is watched). */
  readonly alsoFrom?: readonly string[];
  load(): Promise<LoadedIgnoreRules>;
}

export interface LoadedIgnoreRules {
  readonly isIgnored: (rel: string, isDirectory: boolean) => boolean;
  /** Equal keys, equal rules: a file they come from changed without changing them, and the watch is kept. */
  readonly key: string;
}

/** The stamp of workspace-relative `files`: a change means the rules are to be read again. */
function filesStamp(root: string, files: readonly string[]): string {
  return stampOf(files.map((f) => join(root, f)));
}

/** A kept answer's key: the operation, its arguments, the working directory, and the env unless the operation checks the env itself (`holds`). */
function memoKey(request: DaemonRequest, operation: DaemonOperation): string {
  return encode([request.op, request.args, request.cwd, operation.holds === undefined ? Object.entries(request.env).sort() : null]);
}

/** Whether a daemon answers on `socketPath` already. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(socketPath);
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Runs `job` with process.env set to `env` (requests run one at a time), then puts it back. */
async function withEnv<T>(env: Record<string, string>, job: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  const set = (to: NodeJS.ProcessEnv): void => {
    for (const k of Object.keys(process.env)) if (!(k in to)) delete process.env[k];
    Object.assign(process.env, to);
  };
  set(env);
  try {
    return await job();
  } finally {
    set(saved);
  }
}
