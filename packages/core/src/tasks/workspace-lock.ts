/**
 * One `kiln run` at a time in a workspace, as Bazel serialises commands on one output base. Two runs
 * of the same tasks at once would write the same output folders: one task could read a dependency's
 * output while the other run truncates it, and store the wrong result under the right hash. The
 * second run waits for the first (saying so once), then finds most of its work in the cache.
 *
 * The lock is `.kiln/run.lock`, created exclusively and holding the owner's pid. A lock whose owner
 * is gone (killed with SIGKILL, say) is taken over. Where the lock cannot be written at all (a
 * read-only workspace), the run goes on unlocked, with a warning.
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface WorkspaceLock {
  release(): void;
}

export interface LockOptions {
  /** Told once that another run holds the lock, or that none can be taken (the run then goes on unlocked). */
  readonly warn?: (message: string) => void;
  readonly signal?: AbortSignal;
  /** How often to look again while waiting; default 100 ms. */
  readonly pollMs?: number;
}

/** Locks held by this process, by lock file: a run inside a run (artifact builds) does not wait for itself. */
const held = new Map<string, number>();

export async function lockWorkspace(root: string, options: LockOptions = {}): Promise<WorkspaceLock> {
  const file = join(root, '.kiln', 'run.lock');
  const depth = held.get(file);
  if (depth !== undefined) {
    held.set(file, depth + 1);
    return { release: () => releaseOnce(file) };
  }
  let waited = false;
  for (;;) {
    const outcome = tryCreate(file);
    if (outcome.kind === 'taken') {
      held.set(file, 1);
      return { release: () => releaseOnce(file) };
    }
    if (outcome.kind === 'unavailable') {
      options.warn?.(`cannot lock the workspace (${outcome.reason}); a kiln run started at the same time may change outputs under this one`);
      return { release: () => undefined };
    }
    const owner = ownerOf(file);
    if (owner !== 'writing' && (owner === undefined || !isAlive(owner))) {
      const failed = takeOver(file, owner);
      if (failed === undefined) continue;
      options.warn?.(`cannot lock the workspace (${failed}); a kiln run started at the same time may change outputs under this one`);
      return { release: () => undefined };
    }
    if (!waited && owner !== 'writing') options.warn?.(`another kiln run (pid ${owner}) is working in this workspace; waiting for it to finish`);
    waited = true;
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  }
}

type Attempt = { kind: 'taken' } | { kind: 'busy' } | { kind: 'unavailable'; reason: string };

function tryCreate(file: string): Attempt {
  try {
    mkdirSync(join(file, '..'), { recursive: true });
  } catch (e) {
    return { kind: 'unavailable', reason: `${(e as NodeJS.ErrnoException).code ?? 'error'}: ${(e as Error).message}` };
  }
  try {
    const fd = openSync(file, 'wx');
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    return { kind: 'taken' };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return { kind: 'busy' };
    return { kind: 'unavailable', reason: `${code ?? 'error'}: ${(e as Error).message}` };
  }
}

/** The pid in the lock file; `writing` when it was created a moment ago and holds none yet; undefined when unreadable or empty. */
function ownerOf(file: string): number | 'writing' | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(pid) && pid > 0) return pid;
    return Date.now() - statSync(file).mtimeMs < 2_000 ? 'writing' : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Moves a dead owner's lock aside and removes it. When two runs take over at once, the second may
 * move the first one's new lock instead: it checks what it moved and puts a live lock back.
 * Returns why the lock could not be moved, when it could not.
 */
function takeOver(file: string, dead: number | undefined): string | undefined {
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Gone: another run took it over first, and the next attempt sees its lock.
    return code === 'ENOENT' ? undefined : `${code ?? 'error'}: ${(e as Error).message}`;
  }
  const moved = ownerOf(aside);
  if (moved !== dead && moved !== undefined) {
    try {
      linkSync(aside, file);
    } catch {
      // A newer lock stands there already.
    }
  }
  rmSync(aside, { force: true });
  return undefined;
}

function releaseOnce(file: string): void {
  const depth = held.get(file) ?? 0;
  if (depth > 1) return void held.set(file, depth - 1);
  held.delete(file);
  try {
    if (ownerOf(file) === process.pid) rmSync(file, { force: true });
  } catch {
    // Gone already: nothing to release.
  }
}

/** Whether `pid` runs. This process's own pid in a lock it does not hold is a lock left by an earlier process (containers reuse pids). */
function isAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
