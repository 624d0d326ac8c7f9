/**
 * A task's terminal log on its way into an entry and back out, in bounded memory whatever its
 * size. While the task runs, `LogCapture` keeps the first `INLINE_LOG` bytes in memory and, past
 * that, writes everything to a file in the cache's `tmp/` as it arrives, its SHA-256 computed
 * along the way; the store renames that file into the entry. A hit hands back an `EntryLog` (the
 * bytes of a short log, or the entry's `log` file), which `replayLog` streams in chunks.
 * Where the log sits in an entry (inline in meta.json or the `log` file) is `entry.ts`' business.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntryMeta } from './entry.js';

/** Logs up to this size stay in memory (and, as UTF-8 text, inline in meta.json); longer ones go to a file as they arrive. */
export const INLINE_LOG = 64 * 1024;

/** Chunks a long log is hashed in. */
const CHUNK = 1024 * 1024;
/** Chunks a long log is replayed in: each becomes a few strings in the reader (prefixed lines), so smaller than that. */
const REPLAY_CHUNK = 256 * 1024;

/** A log `LogCapture` gathered: its bytes, or a file of its own in `tmp/`, or why it could not be kept. */
export type CapturedLog =
  | { readonly status: 'memory'; readonly bytes: Buffer; readonly size: number; readonly sha256: string }
  | { readonly status: 'file'; readonly path: string; readonly size: number; readonly sha256: string }
  | { readonly status: 'lost'; readonly reason: string };

/** An entry's log as a hit hands it back: the bytes of a short one, or the entry's file for a long one (verified). */
export type EntryLog = { readonly size: number; readonly bytes: Buffer } | { readonly size: number; readonly file: string };

/**
 * Gathers a task's log as it arrives. `spillTo` names a fresh file in `tmp/` for a log that
 * outgrows memory, or is why there is none (the cache cannot be written): then the log is lost
 * for the cache (the task's result is not stored), never for the person watching it.
 */
export class LogCapture {
  private held: Buffer[] = [];
  private size = 0;
  private readonly hash = createHash('sha256');
  private fd: number | undefined;
  private path: string | undefined;
  private lost: string | undefined;

  constructor(private readonly spillTo: (() => string) | string) {}

  write(chunk: Buffer): void {
    this.size += chunk.length;
    this.hash.update(chunk);
    if (this.lost !== undefined) return;
    if (this.fd === undefined) {
      this.held.push(chunk);
      if (this.size <= INLINE_LOG) return;
      chunk = Buffer.concat(this.held);
      this.held = [];
      try {
        if (typeof this.spillTo === 'string') return this.lose(this.spillTo);
        this.path = this.spillTo();
        this.fd = openSync(this.path, 'wx', 0o644);
      } catch (e) {
        return this.lose(e);
      }
    }
    try {
      // Synchronous on purpose: a file write costs microseconds, and nothing piles up in memory behind a slow disk.
      for (let done = 0; done < chunk.length; ) done += writeSync(this.fd, chunk, done);
    } catch (e) {
      this.lose(e);
    }
  }

  /** The log as gathered; the file (if any) is the caller's to store, or to drop with `discard`. */
  finish(): CapturedLog {
    this.close();
    if (this.lost !== undefined) return { status: 'lost', reason: this.lost };
    const sha256 = this.hash.digest('hex');
    if (this.path !== undefined) return { status: 'file', path: this.path, size: this.size, sha256 };
    return { status: 'memory', bytes: Buffer.concat(this.held), size: this.size, sha256 };
  }

  /** Removes the file, unless it was stored (renamed away). */
  discard(): void {
    this.close();
    if (this.path !== undefined) rmSync(this.path, { force: true });
  }

  /** Gives up keeping the log: `why` is the cache's own reason, or the error writing the file. */
  private lose(why: unknown): void {
    this.lost = typeof why === 'string' ? why : `a result could not be stored (its log could not be written: ${(why as Error).message})`;
    this.held = [];
    this.discard();
  }

  private close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The SHA-256 of the file at `path` read in chunks, or undefined when it does not hold exactly `size` bytes. */
export function sha256OfFileSync(path: string, size: number): string | undefined {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1)));
  const fd = openSync(path, 'r');
  let total = 0;
  try {
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; total += n) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return total === size ? hash.digest('hex') : undefined;
}

/**
 * Replays an entry's log through `onChunk`: a short one at once, a long one read in chunks, each
 * handed over after a turn of the event loop, so the reader's writes drain before the next one
 * (memory stays at a chunk or two). Throws when the file cannot be read (the entry was removed meanwhile).
 */
export async function replayLog(log: EntryLog, onChunk: (chunk: Buffer) => void): Promise<void> {
  if ('bytes' in log) {
    if (log.bytes.length > 0) onChunk(log.bytes);
    return;
  }
  const handle = await open(log.file, 'r');
  try {
    for (let left = log.size; left > 0; ) {
      const { buffer, bytesRead } = await handle.read(Buffer.allocUnsafe(Math.min(REPLAY_CHUNK, left)), 0, Math.min(REPLAY_CHUNK, left), null);
      if (bytesRead === 0) throw new Error(`${log.file} is shorter than its ${log.size} bytes`);
      left -= bytesRead;
      onChunk(buffer.subarray(0, bytesRead));
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    await handle.close();
  }
}

/** The log of the entry in `entryDir` whole, as its verified meta describes it (for the run manifest, which keeps short logs). */
export function entryLogBytes(log: EntryMeta['log'], entryDir: string): Buffer {
  return log.text !== undefined ? Buffer.from(log.text, 'utf8') : readFileSync(join(entryDir, 'log'));
}
