import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';

type Row = [size: number, mtimeMs: number, ctimeMs: number, ino: number, oid: string];

/**
 * Remembers the blob id of files by their stat (size, mtime, ctime, inode), so a file that has
 * not changed since it was last hashed is not read again. Persisted as one JSON file under
 * `.kiln` (`file-digests`); it is only a cache: a lost or concurrent write costs a re-read, never a wrong answer
 * beyond what a same-size rewrite within one nanosecond tick could cause.
 */
export class StatCache {
  private rows = new Map<string, Row>();
  private dirty = false;
  private constructor(private readonly file: string) {}

  static async load(file: string): Promise<StatCache> {
    const c = new StatCache(file);
    try {
      // `kiln-stat-cache 2\0` then six NUL-separated fields per file: path, size, mtime, ctime, inode, blob id.
      const parts = (await readFile(file, 'utf8')).split('\0');
      if (parts[0] === HEADER)
        for (let i = 1; i + 5 < parts.length; i += 6)
          c.rows.set(parts[i]!, [Number(parts[i + 1]), Number(parts[i + 2]), Number(parts[i + 3]), Number(parts[i + 4]), parts[i + 5]!]);
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
    // One string per row, in the order rows were recorded (a fresh clone's run records tens of thousands of outputs).
    const out: string[] = [HEADER];
    for (const [k, r] of this.rows) out.push(`${k}\0${r[0]}\0${r[1]}\0${r[2]}\0${r[3]}\0${r[4]}`);
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, `${out.join('\0')}\0`);
    await rename(tmp, this.file);
    this.dirty = false;
  }
}

const HEADER = 'kiln-stat-cache 2';
