/**
 * Files' import specifiers in a compact form that is cheap to pass between threads: each distinct
 * specifier once, and an Int32Array `[file index, nStatic, nDynamic, ...static, ...dynamic
 * specifier indices, ...]` over the files that import anything. Pure.
 */
import type { FileImports } from '../graph/index.js';

export interface ImportTable {
  readonly specifiers: readonly string[];
  readonly data: Int32Array;
}

export class ImportTableWriter {
  private readonly index = new Map<string, number>();
  private readonly specifiers: string[] = [];
  private data = new Int32Array(1 << 16);
  private length = 0;

  /** Records the imports of file number `file` (nothing when it has none). */
  add(file: number, found: FileImports): void {
    const n = found.static.length + found.dynamic.length;
    if (n === 0) return;
    if (this.length + n + 3 > this.data.length) {
      const bigger = new Int32Array(Math.max(this.data.length * 2, this.length + n + 3));
      bigger.set(this.data.subarray(0, this.length));
      this.data = bigger;
    }
    this.data[this.length++] = file;
    this.data[this.length++] = found.static.length;
    this.data[this.length++] = found.dynamic.length;
    for (const list of [found.static, found.dynamic])
      for (const s of list) {
        let i = this.index.get(s);
        if (i === undefined) {
          i = this.specifiers.length;
          this.specifiers.push(s);
          this.index.set(s, i);
        }
        this.data[this.length++] = i;
      }
  }

  finish(): ImportTable {
    return { specifiers: this.specifiers, data: this.data.slice(0, this.length) };
  }
}
