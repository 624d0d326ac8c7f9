/**
 * Putting one file or link in the workspace without ever writing through what is there: a file
 * already in place may be a hard link to a stored copy, a link leading anywhere, or open in a
 * reader, so it is replaced (a new name beside it, renamed over it), never rewritten.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, realpathSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { errorCode } from './errors.js';

/** A fresh name beside `path`, to write to and rename over it (never writing through what is there). */
export function asideName(path: string): string {
  return `${path}.kiln-${randomBytes(4).toString('hex')}`;
}

/** Opens a new file for writing, or undefined when something (another process's copy, a link) is there already. */
export function openNew(dest: string, mode: number): number | undefined {
  try {
    return openSync(dest, 'wx', mode);
  } catch (e) {
    if (errorCode(e) === 'EEXIST') return undefined;
    throw e;
  }
}

/** Writes `content` beside `dest` and renames it over: the old file (a hard link, a link, open in a reader) is never written through. */
export function replaceFile(dest: string, content: Buffer, mode: number): void {
  const tmp = asideName(dest);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeFileSync(fd, content);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, dest);
}

/** Makes a symbolic link at `dest`, over one another process made there meanwhile (a concurrent restore of the same entry). */
export function placeSymlink(target: string, dest: string): void {
  try {
    symlinkSync(target, dest);
  } catch (e) {
    if (errorCode(e) !== 'EEXIST') throw e;
    const tmp = asideName(dest);
    symlinkSync(target, tmp);
    renameSync(tmp, dest);
  }
}

/**
 * The real path of `p`, or undefined when it does not exist. Not remembered between restores: a
 * folder may since have been removed, or replaced by a symbolic link leading out. The system's
 * realpath: node's own stats every folder on the way, each a system call from JavaScript.
 */
export function realpathOrUndefined(p: string): string | undefined {
  try {
    return realpathSync.native(p);
  } catch {
    return undefined;
  }
}
