/**
 * What a session that plans again and again (`kiln watch`) keeps between plans, so a plan hashes
 * only what changed: the `^` shares and resolved inputs of every task, and its hash. The rules
 * stay `tasks.ts`' alone: the memo only says which earlier results still hold. A result is kept
 * while the data it came from is the same (the workspace, the project edges, the file list, the
 * lockfile's versions: the same objects), and none of the files it read is among the paths the
 * session reported changed (`changed`); a share with a changed file below it, a task that reads a
 * changed file or such a share, and (in `hashTasks`) a task whose dependency's hash moved are
 * worked out again. A task naming env variables or `{runtime}` commands is fingerprinted every
 * time (their values are read anew each plan). Pure.
 */
import { isLockfile } from '../lockfile/index.js';
import type { TaskId } from '../model/index.js';

/** A share as recorded: its digest's parts are `tasks.ts`' business; the memo keeps the files it read and the shares it chained. */
interface ShareRecord<S> {
  readonly share: S;
  readonly files: readonly string[];
  readonly below: readonly string[];
}

interface TaskRecord<R, H> {
  readonly key: string;
  readonly resolved: R;
  readonly shares: readonly string[];
  hash?: { readonly of: readonly string[]; readonly value: H };
}

export class TaskHashMemo<S = unknown, R = unknown, H = unknown> {
  private data: readonly unknown[] = [];
  private pending = new Set<string>();
  private lockfileMoved = true;
  readonly shares = new Map<string, ShareRecord<S>>();
  readonly tasks = new Map<TaskId, TaskRecord<R, H>>();
  private readonly derived = new Map<string, { of: readonly unknown[]; value: unknown }>();

  /** Paths whose content (or presence) changed since the memo last saw them; call before they are read again. */
  changed(paths: Iterable<string>): void {
    for (const p of paths) {
      this.pending.add(p);
      if (isLockfile(p)) this.lockfileMoved = true;
    }
  }

  /** A value computed from `of` (compared by identity), kept while `of` is the same (a task graph, a filtered file list). */
  derive<T>(name: string, of: readonly unknown[], compute: () => T): T {
    const d = this.derived.get(name);
    if (d && d.of.length === of.length && d.of.every((x, i) => x === of[i])) return d.value as T;
    const value = compute();
    this.derived.set(name, { of, value });
    return value;
  }

  /** The lockfile's versions: read again only after a lockfile changed. */
  async lockfile<T>(read: () => Promise<T>): Promise<T> {
    if (this.lockfileMoved) this.derived.delete('lockfile');
    this.lockfileMoved = false;
    return this.derive('lockfile', [], () => read());
  }

  /**
   * Starts a plan from `data` (compared by identity): forgets everything when it differs, else
   * what the changed paths reach. Paths reported from now on count for the next plan.
   */
  begin(data: readonly unknown[]): void {
    const changed = this.pending;
    this.pending = new Set();
    if (data.length !== this.data.length || data.some((x, i) => x !== this.data[i])) {
      this.data = data;
      this.shares.clear();
      this.tasks.clear();
      return;
    }
    if (changed.size === 0) return;
    // Shares that read a changed file, then every share chaining one of those, transitively.
    const stale = new Set<string>();
    for (const [key, s] of this.shares) if (s.files.some((f) => changed.has(f))) stale.add(key);
    if (stale.size > 0) {
      const above = new Map<string, string[]>();
      for (const [key, s] of this.shares)
        for (const b of s.below) {
          const list = above.get(b);
          if (list === undefined) above.set(b, [key]);
          else list.push(key);
        }
      for (const key of [...stale]) this.spread(key, above, stale);
    }
    for (const key of stale) this.shares.delete(key);
    for (const [id, t] of this.tasks) if (t.shares.some((k) => stale.has(k)) || this.readsAny(t.resolved, changed)) this.tasks.delete(id);
  }

  private spread(key: string, above: ReadonlyMap<string, readonly string[]>, stale: Set<string>): void {
    for (const up of above.get(key) ?? []) if (!stale.has(up)) (stale.add(up), this.spread(up, above, stale));
  }

  private readsAny(resolved: R, changed: ReadonlySet<string>): boolean {
    return (resolved as { files: readonly string[] }).files.some((f) => changed.has(f));
  }
}
