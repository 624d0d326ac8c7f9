/**
 * The last cached run of each task (stored or restored): its hash and fingerprint, kept beside the
 * entries in `last/`, so `why-miss` can still explain after the entry itself was evicted.
 *
 * A run records its tasks' last runs in one file (`last/runs.<time>.<pid>.<random>.jsonl`, written
 * whole and renamed into place, so a crash leaves every other record as it was): a header line
 * listing each task with its hash, then one line per task with its fingerprint. The newest file
 * holding a task has its last run. Past `MAX_BATCHES` files, the next write merges them all into
 * its own (lines copied, never parsed again) and removes them. Records of earlier kilns, one file
 * per task (`last/<task>@<hash>.json`), are still read, the newer by time winning; a task recorded
 * again loses its old file.
 */
import { lstat, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lastDir, tempName } from './root.js';

export interface LastRun {
  readonly hash: string;
  readonly fingerprint: unknown;
}

/** The fingerprint kept in the entry of `hash`, if it is there: a record written without one points to it. */
export type EntryFingerprint = (hash: string) => Promise<unknown>;

/** Batch files kept before the next write merges them. */
const MAX_BATCHES = 8;
const BATCH = /^runs\.(\d{15})\.\d+\.[0-9a-f]+\.jsonl$/;
const SINGLE = /^(.*)@([0-9a-f]+)\.json$/;
const HEADER = 'kiln-last-runs';

/** One batch file: its tasks with their hashes (the header), and its lines, read when a record is wanted. */
interface Batch {
  readonly name: string;
  readonly tasks: ReadonlyMap<string, { hash: string; line: number }>;
  lines?: Promise<Lines | undefined>;
}

/** A file's text and where each of its lines starts. */
interface Lines {
  readonly text: string;
  readonly starts: readonly number[];
}

/** What `last/` holds, listed once per process (shared: concurrent callers must not each list it). */
interface Listing {
  /** Newest first. */
  readonly batches: Batch[];
  /** Task (encoded) → the hashes of its files of earlier kilns. */
  readonly singles: Map<string, string[]>;
}

export class LastRuns {
  private listing: Promise<Listing> | undefined;
  /** Recorded by this process, not yet written: task → record. */
  private readonly pending = new Map<string, { hash: string; fingerprint: unknown }>();

  /** `dir`: the cache folder. */
  constructor(
    private readonly dir: string,
    private readonly entryFingerprint: EntryFingerprint,
  ) {}

  /**
   * The last run of `task`, its fingerprint read from its entry when it was recorded without one
   * (undefined when that entry is gone too). Without `fingerprint`, as recorded: its hash, and a
   * fingerprint only where the record holds one (no entry is read).
   */
  async get(task: string, fingerprint = true): Promise<LastRun | undefined> {
    const last = await this.record(task);
    if (last === undefined || last.fingerprint !== undefined || !fingerprint) return last;
    const fromEntry = await this.entryFingerprint(last.hash).catch(() => undefined);
    return fromEntry === undefined ? undefined : { hash: last.hash, fingerprint: fromEntry };
  }

  private async record(task: string): Promise<LastRun | undefined> {
    const mine = this.pending.get(task);
    if (mine !== undefined) return { hash: mine.hash, fingerprint: mine.fingerprint };
    const listing = await this.list();
    const last = lastDir(this.dir);
    const batch = listing.batches.find((b) => b.tasks.has(task));
    const singles = listing.singles.get(encodeTask(task)) ?? [];
    if (singles.length === 0) return batch && this.readRecord(batch, task);
    // Files of an earlier kiln too: the newest file has the last run.
    const candidates = [...(batch ? [batch.name] : []), ...singles.map((hash) => `${encodeTask(task)}@${hash}.json`)];
    const times = await Promise.all(
      candidates.map((name) =>
        lstat(join(last, name)).then(
          (st) => st.mtimeMs,
          () => -1,
        ),
      ),
    );
    const newest = candidates[times.indexOf(Math.max(...times))]!;
    if (Math.max(...times) < 0) return undefined;
    return batch?.name === newest ? this.readRecord(batch, task) : readSingle(join(last, newest));
  }

  /**
   * Records the last run of `task`; written with the others by `flush`. Nothing is recorded when it
   * is the one on record already. Without `fingerprint`, `get` reads it from the entry of `hash`
   * (a run restored through its bundle's plan has only the entries' copies of them).
   */
  async set(task: string, hash: string, fingerprint?: unknown): Promise<void> {
    const listing = await this.list();
    const singles = listing.singles.get(encodeTask(task)) ?? [];
    const batch = listing.batches.find((b) => b.tasks.has(task));
    const onRecord = singles.length === 0 ? batch?.tasks.get(task)?.hash : batch === undefined && singles.length === 1 ? singles[0] : undefined;
    if (onRecord === hash && !this.pending.has(task)) return;
    this.pending.set(task, { hash, fingerprint });
  }

  /** Writes every record `set` took since the last flush, in one file. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const records = [...this.pending];
    const listing = await this.list();
    const merged = listing.batches.length >= MAX_BATCHES ? listing.batches : [];
    const tasks: [string, string][] = [];
    const lines: string[] = [];
    for (const [task, r] of records) {
      tasks.push([task, r.hash]);
      lines.push(JSON.stringify({ task, hash: r.hash, fingerprint: r.fingerprint }));
    }
    // Merging: each task's newest line of the older files, copied as it is (not one a file of an
    // earlier kiln may have outdated: that file stays the task's record).
    const taken = new Set(records.map(([task]) => task));
    for (const b of merged) {
      const read = await this.lines(b);
      if (read === undefined) continue;
      for (const [task, { hash, line }] of b.tasks) {
        if (taken.has(task) || listing.singles.has(encodeTask(task))) continue;
        taken.add(task);
        tasks.push([task, hash]);
        lines.push(lineOf(read, line));
      }
    }
    const last = lastDir(this.dir);
    await mkdir(last, { recursive: true });
    const name = `runs.${String(Date.now()).padStart(15, '0')}.${process.pid}.${Math.random().toString(16).slice(2, 10)}.jsonl`;
    const tmp = tempName(this.dir, 'last');
    await mkdir(join(this.dir, 'tmp'), { recursive: true });
    await writeFile(tmp, `${JSON.stringify({ kind: HEADER, version: 1, tasks })}\n${lines.join('\n')}\n`);
    await rename(tmp, join(last, name));
    // Only now is anything older removed: what it held is in the new file.
    for (const b of merged) await rm(join(last, b.name), { force: true });
    for (const [task] of records) for (const hash of listing.singles.get(encodeTask(task)) ?? []) await rm(join(last, `${encodeTask(task)}@${hash}.json`), { force: true });
    for (const [task, r] of records) if (this.pending.get(task) === r) this.pending.delete(task);
    this.listing = undefined;
  }

  private list(): Promise<Listing> {
    return (this.listing ??= listLast(lastDir(this.dir)));
  }

  private lines(batch: Batch): Promise<Lines | undefined> {
    return (batch.lines ??= readFile(join(lastDir(this.dir), batch.name), 'utf8').then(
      (text) => ({ text, starts: lineStarts(text) }),
      () => undefined,
    ));
  }

  private async readRecord(batch: Batch, task: string): Promise<LastRun | undefined> {
    const read = await this.lines(batch);
    const line = batch.tasks.get(task)?.line;
    return read === undefined || line === undefined ? undefined : parseRecord(lineOf(read, line), task);
  }
}

async function listLast(last: string): Promise<Listing> {
  const names = await readdir(last).catch(() => [] as string[]);
  const singles = new Map<string, string[]>();
  const batches: Batch[] = [];
  for (const name of names) {
    const m = SINGLE.exec(name);
    if (m) {
      const list = singles.get(m[1]!) ?? [];
      list.push(m[2]!);
      singles.set(m[1]!, list);
    } else if (BATCH.test(name)) {
      const tasks = await readHeader(join(last, name));
      if (tasks !== undefined) batches.push({ name, tasks });
    }
  }
  batches.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  return { batches, singles };
}

/** A batch file's header: task → hash and the line of its record (1 for the first); undefined for a file gone or not whole. */
async function readHeader(file: string): Promise<Map<string, { hash: string; line: number }> | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
    const chunks: Buffer[] = [];
    let at = 0;
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(buf, 0, buf.length, at);
      if (bytesRead === 0) return undefined;
      const nl = buf.subarray(0, bytesRead).indexOf(10);
      chunks.push(buf.subarray(0, nl < 0 ? bytesRead : nl));
      if (nl >= 0) break;
      at += bytesRead;
    }
    const header = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { kind?: unknown; version?: unknown; tasks?: unknown };
    if (header.kind !== HEADER || header.version !== 1 || !Array.isArray(header.tasks)) return undefined;
    const tasks = new Map<string, { hash: string; line: number }>();
    (header.tasks as [string, string][]).forEach(([task, hash], i) => tasks.set(task, { hash, line: i + 1 }));
    return tasks;
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** Where each line of `text` starts. */
function lineStarts(text: string): number[] {
  const at = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) at.push(i + 1);
  return at;
}

/** Line `n` (0: the header) without its newline; empty past the end. */
function lineOf({ text, starts }: Lines, n: number): string {
  const start = starts[n] ?? text.length;
  const next = starts[n + 1];
  return text.slice(start, next === undefined ? text.length : next - 1);
}

function parseRecord(line: string, task: string): LastRun | undefined {
  try {
    const data = JSON.parse(line) as { task?: unknown; hash?: unknown; fingerprint?: unknown };
    return data.task === task && typeof data.hash === 'string' ? { hash: data.hash, fingerprint: data.fingerprint } : undefined;
  } catch {
    return undefined;
  }
}

async function readSingle(file: string): Promise<LastRun | undefined> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as { hash?: string; fingerprint?: unknown };
    return typeof data.hash === 'string' ? { hash: data.hash, fingerprint: data.fingerprint } : undefined;
  } catch {
    return undefined;
  }
}

function encodeTask(task: string): string {
  return encodeURIComponent(task).replace(/\*/g, '%2A');
}
