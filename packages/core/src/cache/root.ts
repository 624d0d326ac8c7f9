/**
 * The layout of the cache folder:
 *
 *   entries/<hash>/meta.json   checksum line, then the manifest: outputs (path, size, mode, blob id), log, fingerprint
 *   entries/<hash>/log         the task's terminal output, as it was printed
 *   entries/<hash>/<n>.out     the output files, flat: the n-th file of the manifest (layout 4)
 *   entries/<hash>/pack        or, in a packed entry (layout 5, received from a remote), all of them end to end
 *   tmp/                       entries being written, logs of running tasks, entries being removed
 *   last/<task>@<hash>.json    the last cached run of each task (for `why-miss`)
 *   states/<key>.json.gz       shared graph states, one per commit (graph-state/shared.ts)
 *   CACHEDIR.TAG               the marker: this folder is a kiln cache
 *
 * kiln deletes only what it can prove it made. The marker (a Cache Directory Tag, which backup
 * tools also honour) is written when kiln makes the folder, and a folder kiln did not make is
 * refused before anything is read or written: the workspace root, a folder holding the
 * workspace, and a non-empty folder without the marker. Inside the folder, housekeeping removes
 * only entries (`entry.ts` says which are well-formed) and temporary names of its own.
 * What an entry holds is `entry.ts`'s business.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { isWithin } from '../model/index.js';
import { errorCode, isNotFound } from './errors.js';

export const CACHE_MARKER = 'CACHEDIR.TAG';
const MARKER_TEXT =
  'Signature: 8a477f597d28d172789f06886806bc55\n' +
  '# This file marks a kiln build cache: kiln may delete what it put in this folder.\n' +
  '# For information about cache directory tags, see https://bford.info/cachedir/\n';

/** Names a kiln cache folder holds, besides the marker: a folder with nothing else is one an older kiln made. */
const LAYOUT_NAMES: ReadonlySet<string> = new Set(['entries', 'tmp', 'last', 'states', CACHE_MARKER]);

/** Whether kiln may use a folder as its cache, and how. */
export type CacheFolder =
  /** It holds kiln's marker. */
  | { readonly status: 'marked' }
  /** Missing, empty, or laid out by an older kiln: it gets the marker before kiln writes into it. */
  | { readonly status: 'unmarked' }
  /** Not kiln's to use: a configuration error. */
  | { readonly status: 'refused'; readonly reason: string; readonly hint: string }
  /** Not a folder, or not readable: kiln runs without the cache. */
  | { readonly status: 'unusable'; readonly reason: string };

/** Whether the folder `dir` (absolute) may be the cache of the workspace at `workspaceRoot`. Reads, never writes. */
export function checkCacheFolder(workspaceRoot: string, dir: string): CacheFolder {
  const shown = cacheFolderName(workspaceRoot, dir);
  const root = realpathSync(workspaceRoot);
  const real = realpathOfPath(dir);
  const own = 'Give the cache a folder of its own: a new or empty one, or leave the setting out for the default, ".kiln/cache".';
  if (real === root) return { status: 'refused', reason: `kiln.cacheDirectory ("${shown}") is the workspace root: kiln would delete the workspace's own files as cache files.`, hint: own };
  if (isWithin(root, real)) return { status: 'refused', reason: `kiln.cacheDirectory ("${shown}") holds the workspace: kiln would delete the workspace's own files as cache files.`, hint: own };
  let names: string[];
  try {
    const st = lstatSync(real, { throwIfNoEntry: false });
    if (st === undefined) return { status: 'unmarked' };
    if (!st.isDirectory()) return { status: 'unusable', reason: `the cache directory "${shown}" is not a folder: nothing is restored from it or stored in it` };
    if (isMarker(join(real, CACHE_MARKER))) return { status: 'marked' };
    names = readdirSync(real);
  } catch (e) {
    return { status: 'unusable', reason: `the cache directory "${shown}" cannot be read (${errorCode(e) ?? String(e)}): nothing is restored from it or stored in it` };
  }
  if (names.every((n) => LAYOUT_NAMES.has(n))) return { status: 'unmarked' };
  return {
    status: 'refused',
    reason: `kiln.cacheDirectory ("${shown}") is a folder kiln did not make: it holds other files (${names.sort().slice(0, 3).map((n) => `"${n}"`).join(', ')}${names.length > 3 ? ', ...' : ''}) and no kiln ${CACHE_MARKER}. kiln would delete files it never wrote.`,
    hint: own,
  };
}

/** The cache folder as messages name it: relative to the workspace. */
export function cacheFolderName(workspaceRoot: string, dir: string): string {
  return relative(workspaceRoot, dir) || '.';
}

/** Makes the cache folder if need be and marks it as kiln's. */
export async function markCacheFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(join(dir, CACHE_MARKER), MARKER_TEXT, { flag: 'wx' });
  } catch (e) {
    if (errorCode(e) !== 'EEXIST') throw e; // another kiln marked it first
  }
}

function isMarker(file: string): boolean {
  try {
    return readFileSync(file, 'utf8') === MARKER_TEXT;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

/** The real path of `p`, which may not exist yet: its nearest existing ancestor's real path, with the rest of `p` after it. */
function realpathOfPath(p: string): string {
  try {
    return realpathSync(p);
  } catch (e) {
    if (!isNotFound(e) || dirname(p) === p) throw e;
    return join(realpathOfPath(dirname(p)), basename(p));
  }
}

/** An entry's key: the SHA-256 (hex) of the task's fingerprint. Entry folders have no other names. */
const HASH = '[0-9a-f]{64}';
const ENTRY_NAME = new RegExp(`^${HASH}$`);
const TEMP_NAME = new RegExp(`^(?:(?:trash\\.)?${HASH}|last|log)\\.(\\d+)\\.[0-9a-f]+$`);

/** Whether `name` can be an entry's key, and so the name of its folder. */
export function isEntryHash(name: string): boolean {
  return ENTRY_NAME.test(name);
}

/** Checks a key at the boundary: anything else would name a folder that is not an entry (`..`, `/`...). */
export function assertEntryHash(hash: string): void {
  if (!isEntryHash(hash)) throw new TypeError(`A cache key is a SHA-256 hash (64 hex digits), not ${JSON.stringify(hash)}.`);
}

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

/** Random once per thread (a restore worker shares the pid), then counted: random bytes for each name cost a call each. */
const TEMP_PREFIX = randomBytes(6).toString('hex');
let tempCount = 0;

/**
 * A fresh name in `tmp/` (`<label>.<pid>.<random>`): `label` is the hash of an entry being written,
 * `trash.<hash>` for one being removed, `last` for a last-run pointer, `log` for a task's log being captured. The pid tells `cleanTemp`
 * whether the writer is gone.
 */
export function tempName(dir: string, label: string): string {
  return join(dir, 'tmp', `${label}.${process.pid}.${TEMP_PREFIX}${(tempCount++).toString(16)}`);
}

/** The pid of the process that made a name of `tmp/` (see `tempName`), or undefined for a name kiln does not make. */
export function tempOwner(name: string): number | undefined {
  const m = TEMP_NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}
