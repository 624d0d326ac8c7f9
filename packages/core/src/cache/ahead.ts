/**
 * Restoring ahead. A fresh clone's run bundle (`remote-cache/run-bundle.ts`) arrives while the run
 * still plans, before any task's hash is known. Each of its entries is then taken in on a restore
 * worker: verified and kept in the local store, which is always safe (the store is addressed by
 * hash), and its outputs written, not into the workspace, but into a staging folder of the cache's
 * `tmp/`. Once the plan knows a task's hash, the staged outputs of its entry are moved into place
 * with one rename for the folder that holds them all (`take`); what the plan does not use goes
 * with the staging folder (`end`). So the files are written while the main thread plans, on a core
 * that would otherwise wait, and nothing reaches the workspace before the plan chose it.
 *
 * Where a staged folder cannot simply be renamed into place (the workspace has something there),
 * its contents are moved one level down at a time; anything in the way of a file leaves the entry
 * to the ordinary restore from the local store, which replaces what it must.
 */
import { lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Destinations } from './destinations.js';
import type { EntryMeta } from './entry.js';
import { errorCode } from './errors.js';
import type { RestoreAnswer } from './restore-pool.js';
import { tempName } from './root.js';

type Staged = Extract<RestoreAnswer, { status: 'staged' }>;

/** Takes in one entry on a worker, its outputs written below `stage`: the worker's answer; undefined when it could not be asked, or why not (the cache cannot be written). */
export type StageJob = (hash: string, body: Uint8Array, stage: string) => Promise<RestoreAnswer | string | undefined>;

export class RestoreAhead {
  private readonly jobs = new Map<string, { readonly stage: string; readonly answer: Promise<RestoreAnswer | undefined> }>();
  private readonly destinations: Destinations;
  /** Entries whose staged outputs were moved into place. */
  private moved = 0;

  private constructor(
    workspaceRoot: string,
    /** The staging folder, in the cache's `tmp/` (its name carries the pid, so `cleanTemp` removes it after a crash). */
    private readonly root: string,
  ) {
    this.destinations = new Destinations(workspaceRoot);
  }

  /**
   * Starts restoring `entries` (bodies by hash; each copied before it is handed over) ahead, or
   * does nothing when the staging folder would not be on the workspace's file system (a rename
   * could not move it) or cannot be made.
   */
  static start(workspaceRoot: string, dir: string, entries: ReadonlyMap<string, Uint8Array>, job: StageJob): RestoreAhead | undefined {
    const root = tempName(dir, 'ahead');
    try {
      mkdirSync(root, { recursive: true });
      if (statSync(root).dev !== statSync(workspaceRoot).dev) {
        rmSync(root, { recursive: true, force: true });
        return undefined;
      }
    } catch {
      return undefined;
    }
    const ahead = new RestoreAhead(workspaceRoot, root);
    let n = 0;
    for (const [hash, body] of entries) {
      const stage = join(root, (n++).toString(36));
      const answer = job(hash, new Uint8Array(body), stage).then((a) => (typeof a === 'string' ? undefined : a));
      ahead.jobs.set(hash, { stage, answer: answer.catch(() => undefined) });
    }
    return ahead;
  }

  /** Whether the entry of `hash` is being (or was) restored ahead. */
  has(hash: string): boolean {
    return this.jobs.has(hash);
  }

  /**
   * The worker's answer for the entry of `hash`, a staged entry's outputs moved into place first:
   * then a hit (each file's stat as it now is), or `placed` when they could not be put in place
   * whole (the ordinary restore takes it from the local store). Undefined when it was not restored
   * ahead, or its worker could not answer.
   */
  async take(hash: string): Promise<RestoreAnswer | undefined> {
    const job = this.jobs.get(hash);
    const a = await job?.answer;
    if (job === undefined || a?.status !== 'staged') return a;
    this.destinations.reset();
    const moved: string[] = [];
    try {
      if (a.restoredFiles > 0 && !this.moveInto(job.stage, a.prefix, moved)) return { status: 'placed', placed: true };
      this.moved++;
      return { status: 'hit', meta: a.meta, log: a.log, restoredFiles: a.restoredFiles, rows: this.restat(a, moved) };
    } catch (e) {
      // Something came in the way meanwhile, or the workspace cannot be written: the ordinary restore says what.
      if (errorCode(e) === undefined) throw e;
      return { status: 'placed', placed: true };
    }
  }

  /**
   * Waits for every entry still being restored ahead, then removes the staging folder with whatever
   * the plan did not use. Says how many entries were restored ahead, and how many of them put in place.
   */
  async end(): Promise<{ readonly entries: number; readonly moved: number }> {
    await Promise.all([...this.jobs.values()].map((j) => j.answer));
    rmSync(this.root, { recursive: true, force: true });
    return { entries: this.jobs.size, moved: this.moved };
  }

  /**
   * Moves `from` to the repository path `rp` ('' for the root): one rename where nothing is there;
   * into a folder that is there, its contents one by one. False when something is in the way;
   * `moved` gets each file moved on its own (a rename changes its ctime).
   */
  private moveInto(from: string, rp: string, moved: string[]): boolean {
    if (rp === '') return readdirSync(from).every((name) => this.moveInto(join(from, name), name, moved));
    const d = this.destinations.of(rp);
    if (d.kind !== 'inside') return false;
    if (d.folderMissing) mkdirSync(dirname(d.path), { recursive: true });
    else {
      const there = lstatSync(d.path, { throwIfNoEntry: false });
      if (there !== undefined)
        return there.isDirectory() && lstatSync(from).isDirectory() && readdirSync(from).every((name) => this.moveInto(join(from, name), `${rp}/${name}`, moved));
    }
    const file = !lstatSync(from).isDirectory();
    renameSync(from, d.path);
    if (file) moved.push(rp);
    return true;
  }

  /** The rows of `a`, with the stat of each file moved on its own taken again. */
  private restat(a: Staged, moved: readonly string[]): Staged['rows'] {
    if (moved.length === 0) return a.rows;
    const again = new Set(moved);
    const stats = Float64Array.from(a.rows.stats);
    const { files } = JSON.parse(a.meta) as EntryMeta;
    for (let i = 0; i < a.rows.at.length; i++) {
      const path = files[a.rows.at[i]!]!.path;
      if (!again.has(path)) continue;
      const st = lstatSync(join(this.destinations.workspaceRoot, path));
      stats.set([st.size, st.mtimeMs, st.ctimeMs, st.ino], 4 * i);
    }
    return { at: a.rows.at, stats };
  }
}
