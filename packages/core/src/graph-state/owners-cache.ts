/**
 * The owners of each project, kept in `.kiln/affected-owners.json` beside the graph: with a
 * CODEOWNERS file, a project's owners depend only on that file and the project roots, so they are
 * saved under a digest of both (filled as projects are asked about) and a warm `kiln affected`
 * neither loads nor compiles CODEOWNERS. Without one, they are generated from the project
 * configuration, so they are saved under the state's digest of it (`configDigest`) and a warm run
 * does not read every project's configuration again. Who owns what is `owners/`'s rule; this only keeps it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  const path = join(view.root, OWNERS_FILE);
  const key =
    file !== undefined
      ? contentDigest(readFileSync(join(top, file)), `\0${file}\0${view.projects.map((p) => `${p.name}\0${p.root}`).join('\0')}`)
      : view.configDigest !== undefined
        ? contentDigest(`generated\0${top}\0${view.root}\0${view.configDigest}`)
        : undefined;
  let owners: Record<string, string[]> = {};
  if (key !== undefined) {
    try {
      const saved = JSON.parse(readFileSync(path, 'utf8')) as { key: string; owners: Record<string, string[]> };
      if (saved.key === key) owners = saved.owners;
    } catch {
      // none saved yet
    }
  }
  return {
    file,
    owners,
    save() {
      if (key === undefined) return;
      try {
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify({ key, owners }));
        renameSync(tmp, path);
      } catch {
        // only costs the next run its speed
      }
    },
  };
}
