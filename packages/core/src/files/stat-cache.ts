import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';

type Row = [size: number, mtimeMs: number, ctimeMs: number, ino: number, oid: string];

/**
 * Remembers the blob id of files by their stat (size, mtime, ctime, inode), so a file that has
 * not changed since it was last hashed is not read again. Persisted as one JSON file under
 * `.kiln`; it is only a cache: a lost or concurrent write costs a re-read, never a wrong answer
 * beyond what a same-size rewrite within one nanosecond tick could cause.
 */
export class StatCache {
  private rows = new Map<string, Row>();
  private dirty = false;
  private constructor(private readonly file: string) {}

  static async load(file: string): Promise<StatCache> {
    const c = new StatCache(file);
    try {
      const data = JSON.parse(await readFile(file, 'utf8')) as { version?: number; files?: Record<string, Row> };
      if (data.version === 1 && data.files) for (const [k, v] of Object.entries(data.files)) c.rows.set(k, v);
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

  delete(path: string): void {
    if (this.rows.delete(path)) this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    const files: Record<string, Row> = {};
    for (const k of [...this.rows.keys()].sort()) files[k] = this.rows.get(k)!;
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, JSON.stringify({ version: 1, files }));
    await rename(tmp, this.file);
    this.dirty = false;
  }
}
