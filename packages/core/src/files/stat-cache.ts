import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';

type Row = [size: number, mtimeMs: number, ctimeMs: number, ino: number, oid: string];

/**
 * Remembers the blob id of files by their stat (size, mtime, ctime, inode), so a file that has
 * not changed since it was last hashed is not read again. Persisted as one file under `.kiln`
 * (`file-digests`, see `encode`); it is only a cache: a lost or concurrent write costs a re-read, never a wrong answer
 * beyond what a same-size rewrite within one nanosecond tick could cause.
 */
export class StatCache {
  private rows = new Map<string, Row>();
  private dirty = false;
  private constructor(private readonly file: string) {}

  static async load(file: string): Promise<StatCache> {
    const c = new StatCache(file);
    try {
      c.rows = decode(await readFile(file));
    } catch {
      // Missing or unreadable: start empty.
    }
    return c;
  }

  get(path: string, st: Stats): string | undefined {
    const r = this.rows.get(path);
    if (r && r[0] === st.size && r[1] === st.mtimeMs && r[2] === st.ctimeMs && r[3] === st.ino) return r[4];
    return undefined;
  }

  set(path: string, st: Stats, oid: string): void {
    const r = this.rows.get(path);
    if (r && r[0] === st.size && r[1] === st.mtimeMs && r[2] === st.ctimeMs && r[3] === st.ino && r[4] === oid) return;
    this.rows.set(path, [st.size, st.mtimeMs, st.ctimeMs, st.ino, oid]);
    this.dirty = true;
  }

  /** The stat recorded for `path` when it was recorded with blob id `oid` (kiln wrote or verified that content at that stat), or undefined. */
  recordedWith(path: string, oid: string): readonly [size: number, mtimeMs: number, ctimeMs: number, ino: number, oid: string] | undefined {
    const r = this.rows.get(path);
    return r && r[4] === oid ? r : undefined;
  }

  delete(path: string): void {
    if (this.rows.delete(path)) this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, encode(this.rows));
    await rename(tmp, this.file);
    this.dirty = false;
  }
}

/**
 * The file: `MAGIC`, the row count and the text's length (u32 LE), then float64s in the writer's
 * byte order: `1.5` (a file of another byte order reads as empty) and each row's four numbers; then
 * the text: each row's path and blob id, NUL-separated, in the order rows were recorded. Binary because a fresh
 * clone's run records tens of thousands of outputs: their times as decimal text took 90 ms to write.
 */
const MAGIC = 'kiln-stat-cache3';
const HEAD = 32;

function encode(rows: ReadonlyMap<string, Row>): Buffer {
  const n = rows.size;
  const strings = new Array<string>(n * 2);
  let j = 0;
  for (const [path, r] of rows) {
    strings[j++] = path;
    strings[j++] = r[4];
  }
  const text = strings.join('\0');
  // One buffer, filled in place: its own memory, so the numbers' view is aligned.
  const out = Buffer.allocUnsafeSlow(HEAD + n * 32 + Buffer.byteLength(text));
  out.fill(0, 0, HEAD);
  out.write(MAGIC, 'latin1');
  out.writeUInt32LE(n, 16);
  out.writeUInt32LE(out.length - HEAD - n * 32, 20);
  // The numbers in this machine's byte order, after a 1.5 that tells a reader whether its order is the same.
  const numbers = new Float64Array(out.buffer, out.byteOffset + 24, 1 + n * 4);
  numbers[0] = 1.5;
  let i = 1;
  for (const r of rows.values()) {
    numbers[i++] = r[0];
    numbers[i++] = r[1];
    numbers[i++] = r[2];
    numbers[i++] = r[3];
  }
  out.write(text, HEAD + n * 32, 'utf8');
  return out;
}

/** The rows of a file `encode` wrote; empty for anything else (it is only a cache). */
function decode(file: Buffer): Map<string, Row> {
  const rows = new Map<string, Row>();
  if (file.length < HEAD || file.toString('latin1', 0, 16) !== MAGIC) return rows;
  const n = file.readUInt32LE(16);
  const textLength = file.readUInt32LE(20);
  if (file.length !== HEAD + n * 32 + textLength) return rows;
  // A copy of the numbers: a typed array needs them aligned, and in this machine's byte order (checked by the 1.5).
  const numbers = new Float64Array(file.buffer.slice(file.byteOffset + 24, file.byteOffset + HEAD + n * 32));
  if (numbers[0] !== 1.5) return rows;
  const strings = file.toString('utf8', HEAD + n * 32).split('\0');
  if (strings.length !== n * 2) return rows;
  for (let i = 0; i < n; i++) {
    const at = 1 + i * 4;
    rows.set(strings[i * 2]!, [numbers[at]!, numbers[at + 1]!, numbers[at + 2]!, numbers[at + 3]!, strings[i * 2 + 1]!]);
  }
  return rows;
}
