// size: the fast path loads this one file whole (every extra module costs start-up); the daemon's watch list reads the same format.
/**
 * run-manifest: `kiln run`'s fast path for a request whose answer is already known.
 *
 * After a run in which every task succeeded and is cacheable, `run` writes a compact manifest
 * under `.kiln/run/` (one per request: targets, projects, configuration, args, working directory)
 * recording what made the result valid: the work tree's snapshot (HEAD, every path git reports as
 * changed or untracked with its stat, the root files read directly; see `files/snapshot.ts`), the
 * digests of the env values the fingerprints used, and the stat signatures of every cache entry's
 * meta.json, of every output file as the cache last verified it, of the cache's `last/` and `tmp/`
 * folders, of the stat cache, and of kiln's own engine (every file and folder of the core
 * package's `dist/`, its `.tsbuildinfo` and `package.json`); and the identity (kind and inode) of
 * every folder on the way from the workspace root to each output. Then each task's hash, its log
 * and the time it saved.
 *
 * The next identical request loads only this module (no workspace reading, no graph, no hashing),
 * checks all of that, and when everything matches replays the logs as a fully cached run would.
 * Any difference (or any doubt: no manifest, unreadable, a `{runtime}` input, a non-cacheable task,
 * outside git) means the normal path, which writes the manifest again. A matching manifest means
 * the slow path would find the same hashes, the same intact entries, and outputs it would leave
 * as they are, so both answer the same.
 *
 * Kept light: node built-ins and `files/snapshot.ts` only (each imported by its file, not through a
 * module's index), so the check costs no engine start-up. Deciding what a run may record is the
 * runner's (`api/run`); the cache entries and the stat cache it vouches for are `cache/`'s and `files/`'s.
 * One file on purpose: the fast path loads it whole, and every extra module costs start-up time.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { folderSignatureOf, StatDigest, statSignature, workTreeSnapshot, type StatSignature, type WorkTreeSnapshot } from '../files/snapshot.js';
import { cwdRelativePrefix } from '../model/paths.js';
import { sha256 } from '../model/digest.js';
import { changedEnv, wildcardMatches } from '../inputs/env-patterns.js';
import { findWorkspaceRoot } from '../workspace/find-root.js';
import type { ManifestFile } from '../cache/index.js';

/** Bump when the manifest's shape or what it vouches for changes. */
const MANIFEST_VERSION = 5;
const DIR = join('.kiln', 'run');
/** Logs are replayed from the manifest itself; past this much text the manifest is not worth it. */
export const MAX_LOG_BYTES = 16 * 1024 * 1024;

export interface ManifestRequest {
  readonly cwd: string;
  readonly targets: readonly string[];
  readonly projects?: readonly string[];
  readonly configuration?: string;
  readonly args?: readonly string[];
}

/** A task as the fast path reports it: restored from the local cache, its log replayed. */
export interface ManifestTask {
  readonly id: string;
  readonly hash: string;
  /** How long the task took when it ran (the time the cache saves). */
  readonly savedMs: number;
  readonly log: Buffer;
}

/**
 * The check's answer. When the normal path must run, `snapshot` is the work tree's snapshot the
 * check took (it was taken before anything was read, so the run may use it instead of asking git again).
 */
export type FastRunCheck =
  | {
      readonly ok: true;
      readonly tasks: readonly ManifestTask[];
      readonly env: Readonly<Record<string, string | null>>;
      readonly envWildcards?: Readonly<Record<string, readonly string[]>>;
    }
  | { readonly ok: false; readonly reason: string; readonly snapshot?: PendingSnapshot };

/** A work-tree snapshot being taken, with the workspace root it is for. */
export interface PendingSnapshot {
  readonly root: string;
  readonly promise: Promise<WorkTreeSnapshot>;
}

/**
 * A manifest file is this header as one line of JSON, then the paths whose stats `stats` sums up,
 * in order, separated by NUL: each a letter and a path, `r` relative to the workspace root, `a`
 * absolute, `f` a folder relative to the root whose identity (kind and inode, not its times:
 * files beside the outputs come and go) counts, for every folder on the way to an output. As
 * plain text, the tens of thousands of paths cost one string to read, not an object each for
 * the garbage collector to copy while the check runs.
 */
interface Manifest {
  readonly version: number;
  readonly key: string;
  readonly snapshot: string;
  /** Env variable → SHA-256 of its value, or null when unset (a wildcard: of the names it stood for). */
  readonly env: Record<string, string | null>;
  /** Each wildcard of `env` → the variables it matched (`inputs` `wildcardMatches`). */
  readonly envWildcards?: Record<string, string[]>;
  readonly stats: string;
  readonly tasks: { id: string; hash: string; savedMs: number; log: string; encoding?: 'base64' }[];
  /** Each task's cache entry folder (absolute): the daemon watches them (`manifestWatchList`). */
  readonly entries: string[];
}

/** The header of a manifest file's text, and where its path list starts. */
function parseManifest(text: string): { manifest: Manifest; paths: number } {
  const nl = text.indexOf('\n');
  return { manifest: JSON.parse(nl < 0 ? text : text.slice(0, nl)) as Manifest, paths: nl < 0 ? text.length : nl + 1 };
}

/**
 * Whether the request's last answer still holds, and if so its tasks. Never throws: any failure
 * is a reason to take the normal path.
 */
export async function checkRunManifest(req: ManifestRequest, env: NodeJS.ProcessEnv = process.env): Promise<FastRunCheck> {
  try {
    if (env.GIT_DIR !== undefined || env.GIT_WORK_TREE !== undefined || env.GIT_INDEX_FILE !== undefined)
      return { ok: false, reason: 'GIT_DIR, GIT_WORK_TREE or GIT_INDEX_FILE is set' };
    const root = findWorkspaceRoot(req.cwd);
    if (root === undefined) return { ok: false, reason: 'no workspace' };
    const key = requestKey(root, req);
    // git looks at the work tree in its own process while this one checks the outputs and the
    // cache; if the normal path runs after all, it uses this snapshot. On two cores or fewer, git
    // refreshes the index on one thread: its preload threads would take the core this process
    // stats on (at 1,000 projects: both together 65-75 ms instead of 80-100 ms).
    const promise = workTreeSnapshot(root, availableParallelism() <= 2 ? { preloadIndex: false } : {});
    promise.catch(() => undefined);
    const pending: PendingSnapshot = { root, promise };
    const miss = (reason: string): FastRunCheck => ({ ok: false, reason, snapshot: pending });
    let text: string;
    try {
      text = readFileSync(manifestFile(root, key), 'utf8');
    } catch {
      return miss('no manifest for this request');
    }
    const { manifest, paths } = parseManifest(text);
    if (manifest.version !== MANIFEST_VERSION || manifest.key !== key) return miss('the manifest is for another request or kiln');
    const changed = changedEnv(manifest.env, manifest.envWildcards, env);
    if (changed !== undefined) return miss(changed.wildcard ? `env ${changed.name} matches other variables` : `env ${changed.name} changed`);
    // When git answers first and the work tree changed, the stats need not be finished.
    let treeChanged = false;
    promise.then(
      (s) => (treeChanged = s.digest !== manifest.snapshot),
      () => (treeChanged = true),
    );
    const stats = await statsDigest(root, text, paths, () => treeChanged);
    let snapshot: WorkTreeSnapshot;
    try {
      snapshot = await promise;
    } catch (e) {
      return { ok: false, reason: `git status failed (${(e as Error).message})` };
    }
    if (snapshot.digest !== manifest.snapshot) return miss('the work tree changed');
    if (stats !== manifest.stats) return miss('an output, a cache entry or the cache itself changed');
    return { ok: true, env: manifest.env, ...(manifest.envWildcards && { envWildcards: manifest.envWildcards }), tasks: manifest.tasks.map((t) => ({ id: t.id, hash: t.hash, savedMs: t.savedMs, log: Buffer.from(t.log, t.encoding ?? 'utf8') })) };
  } catch (e) {
    return { ok: false, reason: `the check failed (${(e as Error).message})` };
  }
}

/** What a finished run knows about one task, for the manifest. */
export interface ManifestTaskRecord extends ManifestTask {
  /** The entry's folder (absolute), and its meta.json's stat when the run read or wrote it. */
  readonly entryDir: string;
  readonly metaStat: Stats;
  /** The entry's output files, as its meta.json lists them. */
  readonly files: readonly ManifestFile[];
}

export interface ManifestRecord {
  readonly root: string;
  readonly cacheDir: string;
  readonly snapshot: string;
  readonly env: Readonly<Record<string, string | null>>;
  /** In the order the run reported them. */
  readonly tasks: readonly ManifestTaskRecord[];
  /**
   * The stat at which the run verified (or wrote) an output with blob id `oid`: `[size, mtimeMs,
   * ctimeMs, ino]` (the stat cache's record), or undefined. The normal path leaves an output alone
   * only when its stat is this one.
   */
  verifiedStat(path: string, oid: string): readonly [number, number, number, number, ...unknown[]] | undefined;
}

/**
 * Writes the manifest for `req` (atomically), or removes a stale one when this run's state cannot
 * be vouched for. Every signature it records is the one the run's own checks saw (or older), never
 * a later one: a file that changed after the run looked at it then fails the next check. `env`:
 * the one the run's fingerprints read (which variables each wildcard of `record.env` matched in it).
 */
export function writeRunManifest(req: ManifestRequest, record: ManifestRecord, env: NodeJS.ProcessEnv = process.env): boolean {
  const key = requestKey(record.root, req);
  const file = manifestFile(record.root, key);
  // Each path as the check will read it (see `Manifest`), with the signature the run saw.
  const tokens: string[] = [];
  // Summed up as the paths are listed, in the same order.
  const digest = new StatDigest();
  const rootSlash = `${record.root}/`;
  const token = (path: string): string => (path.startsWith(rootSlash) ? `r${path.slice(rootSlash.length)}` : `a${path}`);
  const add = (path: string, sig: StatSignature): void => {
    tokens.push(token(path));
    digest.add(sig);
  };
  // Its signature now (as the check will read it).
  const addPath = (path: string): void => {
    tokens.push(token(path));
    digest.addPath(path);
  };
  // Every folder on the way to an output, below the root: they must all still be these folders.
  const seenFolders = new Set<string>();
  // The folder of the last output: outputs come many to a folder (at 1,000 projects, 27,000 outputs in 2,500 folders).
  let lastFolder = '';
  const addFolders = (path: string): boolean => {
    const last = path.lastIndexOf('/');
    if (last === lastFolder.length && path.startsWith(lastFolder)) return true;
    if (last > 0) lastFolder = path.slice(0, last);
    const chain: string[] = [];
    for (let cut = last; cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
      const dir = path.slice(0, cut);
      if (seenFolders.has(dir)) break; // and so are its ancestors
      seenFolders.add(dir);
      chain.push(dir);
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const dir = chain[i]!;
      const sig = folderSignatureOf(rootSlash + dir);
      // A linked folder (the normal path would look where it leads) or a missing one: nothing to vouch for.
      if (sig[0] !== 3) return false;
      tokens.push(`f${dir}`);
      digest.add(sig);
    }
    return true;
  };
  try {
    const tmpDir = join(record.cacheDir, 'tmp');
    // Left-overs there are what the normal path would clean up first.
    if (listOrEmpty(tmpDir).length > 0) return drop(file);
    let logBytes = 0;
    for (const t of record.tasks) {
      logBytes += t.log.length;
      add(`${t.entryDir}/meta.json`, statSignature(t.metaStat));
      for (const f of t.files) {
        if (f.link !== undefined) return drop(file); // the normal path writes links again every time
        // The normal path leaves an output alone, and does not look at its stored copy, when the
        // output's stat is the one at which the run verified (or wrote) it.
        const v = record.verifiedStat(f.path, f.oid);
        if (v === undefined) return drop(file);
        tokens.push(`r${f.path}`);
        digest.add([1, v[0], v[1], v[2], v[3]]);
        if (!addFolders(f.path)) return drop(file);
      }
    }
    if (logBytes > MAX_LOG_BYTES) return drop(file);
    for (const p of [join(record.cacheDir, 'last'), tmpDir, join(record.root, '.kiln', 'file-digests'), ...engineFiles()]) addPath(p);
    const envWildcards = wildcardMatches(Object.keys(record.env), env);
    const manifest: Manifest = {
      version: MANIFEST_VERSION,
      key,
      snapshot: record.snapshot,
      env: { ...record.env },
      ...(Object.keys(envWildcards).length > 0 && { envWildcards }),
      stats: digest.digest(),
      entries: record.tasks.map((t) => t.entryDir),
      tasks: record.tasks.map((t) => {
        const text = t.log.toString('utf8');
        return Buffer.from(text, 'utf8').equals(t.log)
          ? { id: t.id, hash: t.hash, savedMs: t.savedMs, log: text }
          : { id: t.id, hash: t.hash, savedMs: t.savedMs, log: t.log.toString('base64'), encoding: 'base64' as const };
      }),
    };
    const body = `${JSON.stringify(manifest)}\n${tokens.join('\0')}`;
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, body);
    renameSync(tmp, file);
    prune(dirname(file));
    return true;
  } catch {
    return drop(file);
  }
}

/**
 * When each cache entry a run manifest vouches for was last used through it (hash → time in ms,
 * the manifest's access or modification time): a run answered by a manifest reads no entry, so
 * the entries' own access times miss those uses, and eviction must not take them for unused.
 */
export function manifestUses(root: string): Map<string, number> {
  const uses = new Map<string, number>();
  const dir = join(root, DIR);
  for (const name of listOrEmpty(dir)) {
    if (!name.endsWith('.json')) continue;
    try {
      const file = join(dir, name);
      const st = lstatSync(file);
      const used = Math.max(st.atimeMs, st.mtimeMs);
      for (const t of parseManifest(readFileSync(file, 'utf8')).manifest.tasks) uses.set(t.hash, Math.max(uses.get(t.hash) ?? 0, used));
    } catch {
      // being replaced, or not a manifest: no uses to add
    }
  }
  return uses;
}

/** What a request's manifest vouches for, as paths to watch (see `Manifest`): the daemon's proof that none changed. */
export interface ManifestWatchList {
  /** The manifest file itself. */
  readonly file: string;
  /** Files and folders whose stats the manifest records (absolute). */
  readonly paths: readonly string[];
  /** Folders whose identity it records (absolute). */
  readonly folders: readonly string[];
  /** The cache entry folders of its tasks (absolute). */
  readonly entries: readonly string[];
}

/** The watch list of `req`'s manifest, or undefined when it has none this kiln can read. */
export function manifestWatchList(req: ManifestRequest): ManifestWatchList | undefined {
  const root = findWorkspaceRoot(req.cwd);
  if (root === undefined) return undefined;
  const file = manifestFile(root, requestKey(root, req));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const { manifest, paths: from } = parseManifest(text);
  if (manifest.version !== MANIFEST_VERSION || !Array.isArray(manifest.entries)) return undefined;
  const paths: string[] = [];
  const folders: string[] = [];
  for (const token of text.slice(from).split('\0')) {
    if (token === '') continue;
    const rest = token.slice(1);
    if (token[0] === 'a') paths.push(rest);
    else if (token[0] === 'r') paths.push(`${root}/${rest}`);
    else if (token[0] === 'f') folders.push(`${root}/${rest}`);
    else return undefined;
  }
  return { file, paths, folders, entries: manifest.entries };
}

/** Removes the manifest of `req`, if any: the next run of it takes the normal path. */
export function dropRunManifest(req: ManifestRequest, root: string): void {
  drop(manifestFile(root, requestKey(root, req)));
}

/** Manifests kept per workspace: one per request, the least recently used go beyond this. */
const MAX_MANIFESTS = 16;

function prune(dir: string): void {
  const names = listOrEmpty(dir);
  if (names.length <= MAX_MANIFESTS) return;
  const dated = names.map((name) => {
    const st = lstatSync(join(dir, name), { throwIfNoEntry: false });
    return { name, used: st ? Math.max(st.atimeMs, st.mtimeMs) : 0 };
  });
  dated.sort((a, b) => b.used - a.used || (a.name < b.name ? -1 : 1));
  for (const { name } of dated.slice(MAX_MANIFESTS)) rmSync(join(dir, name), { force: true });
}

function listOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function drop(file: string): false {
  rmSync(file, { force: true });
  return false;
}

/**
 * The digest of the stat signatures of the paths listed in `text` from `from` on (see
 * `Manifest`), in order; undefined once `stop()` says the answer no longer matters, or for a list
 * it cannot read. Yields to the event loop now and then, so git's answer is seen.
 */
async function statsDigest(root: string, text: string, from: number, stop: () => boolean): Promise<string | undefined> {
  const digest = new StatDigest();
  // Paths below the workspace are looked up relative to it when the process runs there (cheaper).
  const base = cwdRelativePrefix(root) === '' ? '' : `${root}/`;
  let count = 0;
  for (let at = from; at < text.length;) {
    let end = text.indexOf('\0', at);
    if (end < 0) end = text.length;
    const kind = text[at];
    const path = text.slice(at + 1, end);
    if (kind === 'r') digest.addPath(base + path);
    else if (kind === 'a') digest.addPath(path);
    else if (kind === 'f') digest.addFolder(base + path);
    else return undefined;
    at = end + 1;
    if (++count % 4096 === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      if (stop()) return undefined;
    }
  }
  return digest.digest();
}

function requestKey(root: string, req: ManifestRequest): string {
  return JSON.stringify([MANIFEST_VERSION, root, resolve(req.cwd), req.targets, req.projects ?? null, req.configuration ?? null, req.args ?? null]);
}

function manifestFile(root: string, key: string): string {
  return join(root, DIR, `${sha256(key).slice(0, 32)}.json`);
}

let engine: string | undefined;
/** The compiled core package's root (`dist/`), where this module is `run-manifest/index.js`. */
function engineDir(): string {
  engine ??= join(dirname(fileURLToPath(import.meta.url)), '..');
  return engine;
}

let engineList: string[] | undefined;
/**
 * The paths whose stats stand for kiln's engine: a rebuilt, edited or upgraded kiln changes one
 * of them, and voids every manifest. The core package's `package.json`, the `.tsbuildinfo` that
 * `tsc -b` rewrites whenever it emits anything (absent in an installed copy: recorded as absent),
 * and, whatever wrote them (`tsc -b` re-emits only what changed, a person may edit a file by
 * hand, an install may have no `.tsbuildinfo`), every folder of `dist/` (a file added, removed
 * or renamed changes its folder's times) and every module in it. About 130 paths.
 */
function engineFiles(): string[] {
  if (engineList !== undefined) return engineList;
  const dist = engineDir();
  const list = [join(dist, '..', 'package.json'), join(dist, '.tsbuildinfo')];
  const walk = (dir: string): void => {
    list.push(dir);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(?:js|mjs|cjs|json)$/.test(e.name)) list.push(p);
    }
  };
  walk(dist);
  engineList = list;
  return list;
}

let engineSum: string | undefined;
/**
 * SHA-256 of kiln's engine by content: the core package's `package.json` and every module of
 * `dist/` (`engineFiles`), by their paths below it. Unlike their stats, the same on every machine
 * with the same kiln: a run bundle's plan (`remote-cache/bundle-plan.ts`) holds only for it. Read
 * one by one (about 15 ms): a fresh clone works it out while its bundle's header is on the way,
 * and in parallel the reads (four thread-pool jobs each) held up the modules loading beside them.
 */
export function engineDigest(): string {
  if (engineSum !== undefined) return engineSum;
  const pkg = join(engineDir(), '..');
  const sum = createHash('sha256');
  for (const p of engineFiles()) {
    if (!/\.(?:js|mjs|cjs|json)$/.test(p)) continue;
    let bytes: Buffer;
    try {
      bytes = readFileSync(p);
    } catch {
      // A folder named like a module, or a file gone: its absence is what the sum says.
      continue;
    }
    sum.update(`${relative(pkg, p)}\0${bytes.length}\0`);
    sum.update(bytes);
  }
  engineSum = sum.digest('hex');
  return engineSum;
}
