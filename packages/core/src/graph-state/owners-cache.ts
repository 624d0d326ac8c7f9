/**
 * The owners of each project, kept in `.kiln/affected-owners.json` beside the graph: with a
 * CODEOWNERS file, a project's owners depend only on that file and the project roots, so they are
 * saved under a digest of both (filled as projects are asked about) and a warm `kiln affected`
 * neither loads nor compiles CODEOWNERS. Without one, they are generated from the project
 * configuration, so they are saved under the state's digest of it (`configDigest`) and a warm run
 * does not read every project's configuration again. Who owns what is `owners/`'s rule; this only keeps it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { contentDigest } from './store.js';
import type { AffectedGraphView } from './types.js';

const OWNERS_FILE = '.kiln/affected-owners.json';

export interface SavedOwners {
  /** The CODEOWNERS file (relative to the repository's top), or undefined: ownership is generated from project configuration. */
  readonly file: string | undefined;
  /** Project → owners, as saved and as filled since. */
  readonly owners: Record<string, string[]>;
  /** Writes `owners` back (atomically; a failure only costs the next run its speed). */
  save(): void;
}

const lookups = new WeakMap<object, Promise<SavedOwners>>();

/** The saved owners for the view's projects, read once per view (a caller can start it while git works). */
export function savedOwners(view: AffectedGraphView, top: string): Promise<SavedOwners> {
  let lookup = lookups.get(view.projects);
  if (lookup === undefined) lookups.set(view.projects, (lookup = readSavedOwners(view, top)));
  return lookup;
}

async function readSavedOwners(view: AffectedGraphView, top: string): Promise<SavedOwners> {
  const { codeownersLocations } = await import('../owners/locate.js');
  const file = codeownersLocations().find((f) => existsSync(join(top, f)));
  const key =
    file !== undefined
      ? contentDigest(readFileSync(join(top, file)), `\0${file}\0${view.projects.map((p) => `${p.name}\0${p.root}`).join('\0')}`)
      : view.configDigest !== undefined
        ? contentDigest(`generated\0${relative(top, view.root)}\0${view.configDigest}`)
        : undefined;
  const saved = key === undefined ? undefined : readOwnersFile(view.root);
  const owners = saved !== undefined && saved.key === key ? saved.owners : {};
  return {
    file,
    owners,
    save() {
      if (key !== undefined) writeOwnersFile(view.root, { key, owners });
    },
  };
}

/** What `.kiln/affected-owners.json` holds: the owners of projects, under the key of what decided them. */
export interface OwnersFile {
  readonly key: string;
  readonly owners: Record<string, string[]>;
}

/** The owners file at `root`, when there is one of this shape (it travels in a shared state: `shared.ts`). */
export function readOwnersFile(root: string): OwnersFile | undefined {
  try {
    return ownersFileOf(JSON.parse(readFileSync(join(root, OWNERS_FILE), 'utf8')));
  } catch {
    return undefined; // none saved yet
  }
}

/** `value` as an owners file, or undefined when it is not one. */
export function ownersFileOf(value: unknown): OwnersFile | undefined {
  const v = value as Partial<OwnersFile> | null;
  if (typeof v !== 'object' || v === null || typeof v.key !== 'string' || typeof v.owners !== 'object' || v.owners === null) return undefined;
  const valid = Object.values(v.owners).every((list) => Array.isArray(list) && list.every((o) => typeof o === 'string'));
  return valid ? { key: v.key, owners: v.owners } : undefined;
}

/** Writes the owners file at `root` (atomically; a failure only costs the next run its speed). */
export function writeOwnersFile(root: string, file: OwnersFile): void {
  const path = join(root, OWNERS_FILE);
  try {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(file));
    renameSync(tmp, path);
  } catch {
    // only costs the next run its speed
  }
}
