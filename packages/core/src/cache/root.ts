/**
 * The layout of the cache folder:
 *
 *   entries/<hash>/meta.json   checksum line, then the manifest: outputs (path, size, mode, blob id), log, fingerprint
 *   entries/<hash>/log         the task's terminal output, as it was printed
 *   entries/<hash>/out/<path>  the output files
 *   tmp/                       entries being written, and entries being removed
 *   last/<task>@<hash>.json    the last cached run of each task (for `why-miss`)
 *
 * What an entry holds is `entry.ts`'s business.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export function entriesDir(dir: string): string {
  return join(dir, 'entries');
}

export function entryDir(dir: string, hash: string): string {
  return join(dir, 'entries', hash);
}

export function tmpDir(dir: string): string {
  return join(dir, 'tmp');
}

export function lastDir(dir: string): string {
  return join(dir, 'last');
}

/** A fresh name in `tmp/` for `label` (`<label>.<pid>.<random>`): the pid tells `cleanTemp` whether its writer is gone. */
export function tempName(dir: string, label: string): string {
  return join(dir, 'tmp', `${label}.${process.pid}.${randomBytes(6).toString('hex')}`);
}

/** The pid of the process that made a name of `tmp/` (see `tempName`), or undefined. */
export function tempOwner(name: string): number | undefined {
  const pid = Number(/\.(\d+)\.[0-9a-f]+$/.exec(name)?.[1]);
  return Number.isInteger(pid) ? pid : undefined;
}
