/**
 * The one rule for "these files are as they were": a stamp of their stats, compared as a string.
 * The daemon keeps an answer, or its ignore rules, only while the files they came from keep theirs.
 */
import { statSync } from 'node:fs';

/** Each file's identity: a regular file's inode, size and times; `-` for none; `x` for anything else (`/dev/null`'s times move with every write to it). */
export function stampOf(files: readonly string[]): string {
  return files
    .map((f) => {
      let s;
      try {
        s = statSync(f, { throwIfNoEntry: false, bigint: true });
      } catch {
        return '?'; // not a folder on the way (ENOTDIR), or unreadable
      }
      return s === undefined ? '-' : s.isFile() ? `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}` : 'x';
    })
    .join('|');
}
