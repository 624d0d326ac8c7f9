/**
 * The saved graph state shared between machines: the state of a clean commit (no work-tree
 * changes), gzipped, kept under a key derived from the commit in a `StateStore` (the cache
 * folder's `states/`, or a remote cache). A fresh clone whose base commit has one loads it as its
 * own saved state, and the ordinary update then rescans only the files whose blob differs between
 * that commit and its own (`git diff-tree`), instead of every source file. The projects' owners
 * travel with it (`owners-cache.ts`), used where their key still holds.
 *
 * A state decides what `affected` answers, so one is used only when it reads back whole (gzip's
 * check), has this kiln's state version and names the very commit it was asked for.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '../model/index.js';
import { readWholeBody, type RemoteClient } from '../remote-cache/index.js';
import { loadState, savedGraphView, saveState, STATE_VERSION, type SavedGraphView } from './store.js';
import { ownersFileOf, readOwnersFile, writeOwnersFile, type OwnersFile } from './owners-cache.js';
import type { State } from './types.js';

/** What a store answers: the body, none, or why it could not be asked (one line naming the store). */
export type StateRead = { readonly status: 'found'; readonly body: Uint8Array } | { readonly status: 'miss' } | { readonly status: 'failed'; readonly reason: string };
export type StateWrite = { readonly status: 'stored' } | { readonly status: 'skipped'; readonly reason: string } | { readonly status: 'failed'; readonly reason: string };

/** Where shared states are kept: a small seam that the local cache folder and a remote cache each fill. */
export interface StateStore {
  /** How messages name it (a folder, a server's URL without credentials). */
  readonly name: string;
  get(key: string): Promise<StateRead>;
  put(key: string, body: Uint8Array): Promise<StateWrite>;
}

/** The store key of `commit`'s state: never a task hash (a different prefix), and a new one when the state's shape changes. */
export function sharedStateKey(commit: string): string {
  return sha256(`kiln-affected-state:${STATE_VERSION}:${commit}`);
}

/** The body to share for the saved state at `root`, or why there is none: the state must describe `commit` exactly, with no work-tree changes. */
export function exportState(root: string, commit: string): { body: Uint8Array } | { problem: string } {
  const state = loadState(root);
  if (state === undefined) return { problem: 'there is no saved graph state yet (run kiln affected first)' };
  if (state.anchor !== commit) return { problem: `the saved graph state describes ${state.anchor.slice(0, 12)}, not ${commit.slice(0, 12)}` };
  if (Object.keys(state.dirty).length > 0) return { problem: 'the work tree has changes: a shared state must describe a commit as it is' };
  const { root: _root, stamp: _stamp, dirty: _dirty, dirtyImports: _imports, ...shared } = state;
  // The projects' owners go along (`ci state save` fills them for every project): a fresh clone then neither reads nor compiles CODEOWNERS.
  const owners = readOwnersFile(root);
  return { body: gzipSync(JSON.stringify(owners ? { ...shared, owners } : shared)) };
}

/**
 * Reads a shared body back as the state of `commit` (by default, whichever it names) at `root`,
 * with the owners saved beside it if any (used only where their key matches: `owners-cache.ts`), or says why it cannot be used.
 */
export function readSharedState(body: Uint8Array, root: string, commit?: string): { state: State; owners?: OwnersFile } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(gunzipSync(body).toString('utf8'));
  } catch (e) {
    return { problem: `it does not read back whole (${(e as Error).message})` };
  }
  const s = value as Partial<State> | null;
  if (typeof s !== 'object' || s === null) return { problem: 'it is not a graph state' };
  if (s.version !== STATE_VERSION) return { problem: `it has state version ${String(s.version)}, this kiln reads ${STATE_VERSION}` };
  if (typeof s.anchor !== 'string' || !/^[0-9a-f]{40,64}$/.test(s.anchor)) return { problem: 'it names no commit' };
  if (commit !== undefined && s.anchor !== commit) return { problem: `it describes ${s.anchor.slice(0, 12)}, not ${commit.slice(0, 12)}` };
  const isRecord = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!Array.isArray(s.projects) || !isRecord(s.importEdges) || !isRecord(s.importExternal) || !isRecord(s.nxJson)) return { problem: 'it is not a graph state (fields missing)' };
  const { owners, ...state } = s as State & { owners?: unknown };
  const ownersFile = ownersFileOf(owners);
  return { state: { ...state, root, stamp: '', dirty: {}, dirtyImports: {} }, ...(ownersFile && { owners: ownersFile }) };
}

/** Makes a state read back (`readSharedState`) the saved state at `root`, its owners too: the view it saved. */
export function adoptSharedState(root: string, shared: { state: State; owners?: OwnersFile }): SavedGraphView {
  const { view, state } = saveState(root, shared.state);
  const saved = savedGraphView(root, view, state);
  if (shared.owners) writeOwnersFile(root, shared.owners);
  return saved;
}

/**
 * Makes the first state found for `commits` (in order) the saved state at `root`, asking each
 * store in turn; a state found further down the list of stores is copied into the earlier ones
 * (the local folder), best effort. Returns what was used (with the saved view, so the caller need
 * not read it back), and a line per store that failed or held a state that could not be used.
 * `beforeSave`: awaited before anything is written into `.kiln` (the download does not wait for it).
 */
export async function restoreSharedState(
  root: string,
  commits: readonly string[],
  stores: readonly StateStore[],
  beforeSave?: Promise<unknown>,
): Promise<{ used?: { commit: string; store: string; saved: SavedGraphView }; warnings: string[] }> {
  const warnings: string[] = [];
  const failed = new Set<StateStore>();
  for (const commit of [...new Set(commits)]) {
    const key = sharedStateKey(commit);
    for (const [i, store] of stores.entries()) {
      if (failed.has(store)) continue;
      const read = await store.get(key);
      if (read.status === 'failed') {
        failed.add(store);
        warnings.push(read.reason);
        continue;
      }
      if (read.status === 'miss') continue;
      const shared = readSharedState(read.body, root, commit);
      if ('problem' in shared) {
        warnings.push(`the shared graph state of ${commit.slice(0, 12)} in ${store.name} is not used: ${shared.problem}`);
        continue;
      }
      await beforeSave;
      const saved = adoptSharedState(root, shared);
      for (const earlier of stores.slice(0, i)) await earlier.put(key, read.body).catch(() => undefined);
      return { used: { commit, store: store.name, saved }, warnings };
    }
  }
  return { warnings };
}

/** Shared states in a folder (the cache folder's `states/`): one gzipped file per key, written atomically. */
export function folderStateStore(dir: string, name = dir, prepare: () => Promise<void> = async () => undefined): StateStore {
  const fileOf = (key: string): string => {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new TypeError(`a state key is 64 hex digits, not ${JSON.stringify(key)}`);
    return join(dir, `${key}.json.gz`);
  };
  return {
    name,
    async get(key) {
      try {
        return { status: 'found', body: await readFile(fileOf(key)) };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        return code === 'ENOENT' || code === 'ENOTDIR' ? { status: 'miss' } : { status: 'failed', reason: `${name} cannot be read (${code ?? String(e)})` };
      }
    },
    async put(key, body) {
      try {
        await prepare();
        await mkdir(dir, { recursive: true });
        const tmp = `${fileOf(key)}.${process.pid}.tmp`;
        await writeFile(tmp, body);
        await rename(tmp, fileOf(key));
        return { status: 'stored' };
      } catch (e) {
        return { status: 'failed', reason: `${name} cannot be written (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
      }
    },
  };
}

/** A state read over the network is refused above this size (a state of 150,000 files is a few MB gzipped). */
const MAX_REMOTE_STATE_BYTES = 256 * 1024 * 1024;

/**
 * Shared states on a remote cache (`remote-cache/`'s client, behind its circuit breaker): a body is
 * kept only when it arrived whole and the client's verdict (signature, digest) accepts it.
 */
export function remoteStateStore(client: RemoteClient): StateStore {
  const name = `remote cache ${client.server}`;
  return {
    name,
    async get(key) {
      const read = await client.get(key);
      if (read.status === 'miss') return read;
      if (read.status === 'failed') return { status: 'failed', reason: `${name}: ${read.problem.reason}` };
      const whole = await readWholeBody(read, MAX_REMOTE_STATE_BYTES, 'the shared graph state');
      return whole.status === 'whole' ? { status: 'found', body: whole.bytes } : { status: 'failed', reason: `${name}: ${whole.reason}` };
    },
    async put(key, body) {
      const w = await client.put(key, {
        size: body.length,
        open: async function* () {
          yield body;
        },
      });
      return w.status === 'failed' ? { status: 'failed', reason: `${name}: ${w.problem.reason}` } : w;
    },
  };
}
