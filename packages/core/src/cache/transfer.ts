/**
 * An entry as one byte stream, for remote caches: what an upload sends and a download is
 * checked against before it becomes a local entry. The format (version 1):
 *
 *   kiln-entry 1\n
 *   <length of meta.json in bytes, decimal>\n
 *   <meta.json: checksum line, then the manifest (entry.ts)>
 *   <the bytes of each regular output file, in manifest order>
 *   <the log's bytes, unless meta.json holds it inline>
 *
 * Everything after meta.json is sized by the manifest, whose checksum covers it, so a reader
 * needs no other framing and verifies as it goes: every file's size and git blob id, the log's
 * SHA-256, paths that stay inside the entry (and the workspace: the same rules as a local
 * restore), nothing left over at the end. The stat fields of the manifest (mtime, inode, device)
 * describe one machine's copies: they are left out of what is sent, and out of the received
 * manifest (they are informative). A download is kept in `tmp/` and renamed into `entries/` only
 * when all of it verified, then restored like any local entry (`restore.ts`), which checks paths
 * and destinations again; what this process just verified is not read a second time. A small
 * entry (the usual one) is read into memory, verified whole, and kept packed: its files' bytes in
 * one file (`entry.ts` PACKED_LAYOUT), while the restore writes each output from memory straight
 * into the workspace, once. A larger one is written file by file (each verified before it is
 * written, several at once; one past 1 MiB streams through a handle and is checked as it is
 * written), never held whole in memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gitBlobHasher, gitBlobId, sha256, toRepoPath } from '../model/index.js';
import { CACHE_LAYOUT_VERSION, copyName, formatMeta, linkLeadsOut, nestedOutput, PACK_MAX, PACK_NAME, PACKED_LAYOUT, parseMeta, readMeta, WIRE_LAYOUTS, type EntryMeta, type ManifestFile } from './entry.js';
import { entryDir, tempName } from './root.js';
import { placeInto, placePacked, type StoreTarget } from './store.js';

const MAGIC = 'kiln-entry 1\n';
/** meta.json is held in memory (it is the manifest): past this, the entry is refused. */
const MAX_META = 64 * 1024 * 1024;
/** A received file up to this size is verified in memory, then written in one call; a larger one streams through a handle. */
const BUFFERED_FILE = 1024 * 1024;
/** Buffered files being written at once, per entry: creating files is the slow part, and the thread pool does several at a time. */
const WRITES_IN_FLIGHT = 16;

/** An entry as a stream: its exact size, and a way to read it from the start (as often as needed). */
export interface EntryStream {
  readonly size: number;
  readonly durationMs: number;
  open(): AsyncIterable<Uint8Array>;
}

/** The manifest as sent: without the sender's stat fields. */
function portable(meta: EntryMeta, files: readonly ManifestFile[]): string {
  return formatMeta({ ...meta, files: files.map(({ mtimeMs: _m, ino: _i, dev: _d, ...f }) => f) });
}

/** The local entry of `hash` as a stream, or undefined when there is none that verifies. */
export async function entryStream(dir: string, hash: string): Promise<EntryStream | undefined> {
  const m = await readMeta(dir, hash);
  if (m.status !== 'ok') return undefined;
  const meta = m.meta;
  const packed = meta.layout === PACKED_LAYOUT;
  // A packed entry goes out as the layout it was received in: the manifest means the same.
  const head = Buffer.from(portable(packed ? { ...meta, layout: CACHE_LAYOUT_VERSION } : meta, meta.files));
  const prefix = Buffer.concat([Buffer.from(`${MAGIC}${head.length}\n`), head]);
  const logFile = meta.log.text === undefined ? meta.log.size : 0;
  const size = prefix.length + meta.files.reduce((s, f) => s + (f.link === undefined ? f.size : 0), 0) + logFile;
  const root = entryDir(dir, hash);
  async function* body(): AsyncGenerator<Uint8Array> {
    yield prefix;
    if (packed) yield* createReadStream(join(root, PACK_NAME));
    else for (const [i, f] of meta.files.entries()) if (f.link === undefined && f.size > 0) yield* createReadStream(join(root, copyName(i)));
    if (logFile > 0) yield* createReadStream(join(root, 'log'));
  }
  return { size, durationMs: meta.durationMs, open: body };
}

/**
 * How a received stream ended. `placed`: the entry in `entries/` is the one this process just
 * wrote and verified byte by byte (not one another process placed first), so the restore that
 * follows need not read its copies again; a packed entry's verified manifest and bytes come along
 * (`packed`), so it reads nothing back.
 */
export type ReceiveResult =
  /** `pack`: a packed entry's bytes, verified, as this process placed them (so the restore need not read them back). */
  { readonly status: 'received'; readonly placed: boolean; readonly packed?: ReceivedPack } | { readonly status: 'stale' } | { readonly status: 'refused'; readonly reason: string };

/**
 * A packed entry as `receive` verified and placed it, held in memory for the restore that follows:
 * its manifest (local form, without the fingerprint), every regular file's bytes end to end, and
 * meta.json's stat as written. What the restore writes is then exactly what was verified.
 */
export interface ReceivedPack {
  readonly meta: EntryMeta;
  readonly pack: Buffer;
  readonly metaStat: Stats;
}

/** Reads exactly what is asked of an async byte stream. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Uint8Array>;
  constructor(body: AsyncIterable<Uint8Array>) {
    this.it = body[Symbol.asyncIterator]();
  }
  private async more(): Promise<boolean> {
    const n = await this.it.next();
    if (n.done) return false;
    // A view, not a copy: chunks are never reused by their producer.
    const chunk = Buffer.from(n.value.buffer, n.value.byteOffset, n.value.byteLength);
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return true;
  }
  /** Up to `max` bytes ending with a newline (without it), or undefined. */
  async line(max: number): Promise<string | undefined> {
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl >= 0 && nl < max) {
        const s = this.buf.toString('utf8', 0, nl);
        this.buf = this.buf.subarray(nl + 1);
        return s;
      }
      if (this.buf.length >= max || !(await this.more())) return undefined;
    }
  }
  /** Exactly `n` bytes, handed to `sink` as they come; false when the stream ends first. */
  async take(n: number, sink: (chunk: Buffer) => Promise<void> | void): Promise<boolean> {
    while (n > 0) {
      if (this.buf.length === 0 && !(await this.more())) return false;
      const part = this.buf.subarray(0, Math.min(n, this.buf.length));
      this.buf = this.buf.subarray(part.length);
      n -= part.length;
      const wrote = sink(part);
      if (wrote) await wrote;
    }
    return true;
  }
  /** Exactly `n` bytes when they are already read (a view, nothing waited for), else undefined (and nothing taken). */
  takeNow(n: number): Buffer | undefined {
    if (this.buf.length < n) return undefined;
    const part = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return part;
  }
  async atEnd(): Promise<boolean> {
    return this.buf.length === 0 && !(await this.more()) && this.buf.length === 0;
  }
  /** Stops reading: the rest of the stream (and its connection) is dropped. */
  async close(): Promise<void> {
    await this.it.return?.().catch(() => undefined);
  }
}

/**
 * The manifest at the head of an entry stream for `hash` (its checksum verified), reading no
 * further: for what only the manifest tells (how long the task took). Undefined when the head is
 * not a kiln entry of this version. The rest of the stream is dropped.
 */
export async function entryHead(hash: string, body: AsyncIterable<Uint8Array>): Promise<EntryMeta | undefined> {
  const r = new ByteReader(body);
  try {
    if ((await r.line(MAGIC.length)) !== MAGIC.slice(0, -1)) return undefined;
    const lenText = await r.line(12);
    const len = lenText !== undefined && /^\d+$/.test(lenText) ? Number(lenText) : NaN;
    if (!(len > 0 && len <= MAX_META)) return undefined;
    const parts: Buffer[] = [];
    if (!(await r.take(len, (c) => void parts.push(c)))) return undefined;
    const parsed = parseMeta(hash, Buffer.concat(parts).toString('utf8'), { fingerprint: true, layouts: WIRE_LAYOUTS });
    return parsed.status === 'ok' ? parsed.meta : undefined;
  } finally {
    await r.close();
  }
}

/** Why a manifest that came from elsewhere cannot be an entry of this workspace, if it cannot. */
function unsafeManifest(files: readonly ManifestFile[]): string | undefined {
  const seen = new Set<string>();
  for (const f of files) {
    if (typeof f.path !== 'string' || toRepoPath(f.path) !== f.path || f.path === '') return `output path ${JSON.stringify(f.path)} is not a plain path inside the workspace`;
    if (seen.has(f.path)) return `output "${f.path}" appears twice`;
    seen.add(f.path);
    if (!Number.isSafeInteger(f.size) || f.size < 0 || !Number.isInteger(f.mode) || typeof f.oid !== 'string') return `output "${f.path}" has no valid size, mode or digest`;
    if (f.link !== undefined && (typeof f.link !== 'string' || linkLeadsOut(f.path, f.link))) return `output link "${f.path}" points outside the workspace`;
  }
  const nested = nestedOutput(files);
  return nested === undefined ? undefined : `output "${nested}" lies below another output of the entry`;
}

/**
 * Reads an entry stream for `hash` into a new folder of `tmp/`, verifying as it goes, and, when
 * all of it verified and `accept()` (the transport's own verdict: signature, digest) has no
 * objection, renames it into `entries/`. `stale`: an entry of another layout (a miss).
 * Errors of the stream itself (a broken connection) are thrown, and nothing is kept.
 */
export async function receiveEntry(target: StoreTarget, hash: string, body: AsyncIterable<Uint8Array>, accept: () => string | undefined): Promise<ReceiveResult> {
  const r = new ByteReader(body);
  try {
    return await receive(target, hash, r, accept);
  } finally {
    await r.close();
  }
}

async function receive(target: StoreTarget, hash: string, r: ByteReader, accept: () => string | undefined): Promise<ReceiveResult> {
  if ((await r.line(MAGIC.length)) !== MAGIC.slice(0, -1)) return { status: 'refused', reason: 'it is not a kiln entry (wrong format or version)' };
  const lenText = await r.line(12);
  const len = lenText !== undefined && /^\d+$/.test(lenText) ? Number(lenText) : NaN;
  if (!(len > 0 && len <= MAX_META)) return { status: 'refused', reason: 'its manifest length is missing or unreasonable' };
  const metaParts: Buffer[] = [];
  if (!(await r.take(len, (c) => void metaParts.push(Buffer.from(c))))) return { status: 'refused', reason: 'it ends inside its manifest (truncated)' };
  const parsed = parseMeta(hash, Buffer.concat(metaParts).toString('utf8'), { fingerprint: true, layouts: WIRE_LAYOUTS });
  if (parsed.status === 'miss') return { status: 'stale' };
  if (parsed.status === 'corrupt') return { status: 'refused', reason: parsed.reason };
  const meta = parsed.meta;
  if (!Array.isArray(meta.files) || typeof meta.log?.size !== 'number' || typeof meta.log.sha256 !== 'string')
    return { status: 'refused', reason: 'its manifest lacks files or log' };
  const unsafe = unsafeManifest(meta.files);
  if (unsafe !== undefined) return { status: 'refused', reason: unsafe };

  if (packable(meta)) {
    const got = await receivePacked(r, meta);
    if ('status' in got) return got;
    if (!(await r.atEnd())) return { status: 'refused', reason: 'it has bytes past its end' };
    const verdict = accept();
    if (verdict !== undefined) return { status: 'refused', reason: verdict };
    const local: EntryMeta = { ...meta, layout: PACKED_LAYOUT, files: got.files };
    const { placed, metaStat } = await placePacked(target, hash, formatMeta(local), got.pack, got.log);
    // What the restore needs, as verified here: the manifest (without the fingerprint, which restores never read) and the bytes.
    return placed ? { status: 'received', placed, packed: { meta: { ...local, fingerprint: undefined }, pack: got.pack, metaStat } } : { status: 'received', placed };
  }

  const tmp = tempName(target.dir, hash);
  let placed = false;
  try {
    await mkdir(tmp, { recursive: true });
    const got = await receiveUnpacked(r, meta, tmp);
    if ('status' in got) return got;
    if (meta.log.text === undefined) {
      const handle = await open(join(tmp, 'log'), 'wx');
      const sha = createHash('sha256');
      let whole: boolean;
      try {
        whole = await r.take(meta.log.size, async (c) => {
          sha.update(c);
          await handle.write(c);
        });
      } finally {
        await handle.close();
      }
      if (!whole) return { status: 'refused', reason: 'it ends inside the log (truncated)' };
      if (sha.digest('hex') !== meta.log.sha256) return { status: 'refused', reason: 'the terminal log does not match its digest' };
    }
    if (!(await r.atEnd())) return { status: 'refused', reason: 'it has bytes past its end' };
    const verdict = accept();
    if (verdict !== undefined) return { status: 'refused', reason: verdict };
    await writeFile(join(tmp, 'meta.json'), formatMeta({ ...meta, layout: CACHE_LAYOUT_VERSION, files: got.files }));
    placed = await placeInto(target, tmp, hash);
    return { status: 'received', placed };
  } finally {
    // Renamed into entries/: nothing left to remove (one request less per entry).
    if (!placed) await rm(tmp, { recursive: true, force: true });
  }
}

/** An entry small enough to be kept packed: every file (and the log) verified in memory, the files together within `PACK_MAX`. */
function packable(meta: EntryMeta): boolean {
  if (meta.log.text === undefined && meta.log.size > BUFFERED_FILE) return false;
  let total = 0;
  for (const f of meta.files) {
    if (f.link !== undefined) continue;
    if (f.size > BUFFERED_FILE) return false;
    total += f.size;
  }
  return total <= PACK_MAX;
}

/** The received manifest (no stat fields: the stored copy's identity is looked at when it is restored). */
type Received = { readonly files: ManifestFile[] } | { readonly status: 'refused'; readonly reason: string };

/** A packed entry's verified bytes: its files end to end, and its log unless the manifest holds it. */
interface PackedBytes {
  readonly files: ManifestFile[];
  readonly pack: Buffer;
  readonly log?: Buffer;
}

function receivedFile(f: ManifestFile): ManifestFile {
  return f.link !== undefined ? { path: f.path, size: 0, mode: 0o777, oid: f.oid, link: f.link } : { path: f.path, size: f.size, mode: f.mode & 0o777, oid: f.oid };
}

/** Reads every file of a small entry, and its log, into memory, each verified against its size and digest; nothing is written. */
async function receivePacked(r: ByteReader, meta: EntryMeta): Promise<PackedBytes | { readonly status: 'refused'; readonly reason: string }> {
  const size = meta.files.reduce((sum, f) => sum + (f.link === undefined ? f.size : 0), 0);
  // A body read whole (a restore worker's) holds the pack already: a view of it, no copy and no wait per file.
  const ready = r.takeNow(size);
  // Else one buffer, filled in place as the bytes come: no list of chunks joined at the end.
  const pack = ready ?? Buffer.allocUnsafe(size);
  let at = 0;
  for (const f of meta.files) {
    if (f.link !== undefined) continue;
    let oid: string;
    if (ready !== undefined) {
      oid = gitBlobId(ready.subarray(at, (at += f.size)));
    } else {
      const blob = gitBlobHasher(f.size);
      const whole = await r.take(f.size, (c) => {
        blob.update(c);
        at += c.copy(pack, at);
      });
      if (!whole) return { status: 'refused', reason: `it ends inside output "${f.path}" (truncated)` };
      oid = blob.digest('hex');
    }
    if (oid !== f.oid) return { status: 'refused', reason: `output "${f.path}" does not match its digest` };
  }
  let log: Buffer | undefined;
  if (meta.log.text === undefined) {
    log = r.takeNow(meta.log.size);
    if (log === undefined) {
      const bytes = Buffer.allocUnsafe(meta.log.size);
      let got = 0;
      if (!(await r.take(meta.log.size, (c) => void (got += c.copy(bytes, got))))) return { status: 'refused', reason: 'it ends inside the log (truncated)' };
      log = bytes;
    }
    if (sha256(log) !== meta.log.sha256) return { status: 'refused', reason: 'the terminal log does not match its digest' };
  }
  return { files: meta.files.map(receivedFile), pack, ...(log !== undefined && { log }) };
}

/** Writes each file of an entry as a stored copy of its own in `tmp`, each verified before it is written (a large one as it is written). */
async function receiveUnpacked(r: ByteReader, meta: EntryMeta, tmp: string): Promise<Received> {
  const writes = new Writes();
  try {
    for (const [i, f] of meta.files.entries()) {
      if (f.link !== undefined) continue;
      const dest = join(tmp, copyName(i));
      const mode = f.mode & 0o777;
      const blob = gitBlobHasher(f.size);
      let whole: boolean;
      if (f.size <= BUFFERED_FILE) {
        // Verified before it is written; written while the next files arrive.
        const parts: Buffer[] = [];
        whole = await r.take(f.size, (c) => {
          blob.update(c);
          parts.push(c);
        });
        if (whole && blob.copy().digest('hex') === f.oid) await writes.add(writeFile(dest, parts.length === 1 ? parts[0]! : Buffer.concat(parts), { flag: 'wx', mode }));
      } else {
        const handle = await open(dest, 'wx', mode);
        try {
          whole = await r.take(f.size, async (c) => {
            blob.update(c);
            await handle.write(c);
          });
        } finally {
          await handle.close();
        }
      }
      if (!whole) return { status: 'refused', reason: `it ends inside output "${f.path}" (truncated)` };
      if (blob.digest('hex') !== f.oid) return { status: 'refused', reason: `output "${f.path}" does not match its digest` };
    }
    await writes.settle();
    return { files: meta.files.map(receivedFile) };
  } finally {
    await writes.settle().catch(() => undefined);
  }
}

/** Writes in flight, at most `WRITES_IN_FLIGHT`; `settle` waits for all and throws the first failure. */
class Writes {
  private readonly inFlight = new Set<Promise<void>>();
  private error: { readonly cause: unknown } | undefined;
  async add(write: Promise<void>): Promise<void> {
    const tracked: Promise<void> = write.then(
      () => void this.inFlight.delete(tracked),
      (e: unknown) => {
        this.inFlight.delete(tracked);
        this.error ??= { cause: e };
      },
    );
    this.inFlight.add(tracked);
    if (this.inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(this.inFlight);
    if (this.error) throw this.error.cause;
  }
  async settle(): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.error) throw this.error.cause;
  }
}
