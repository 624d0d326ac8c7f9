/**
 * Where an entry's outputs land in the workspace, and whether they may: a repository path must
 * stay inside the workspace once every symbolic link on its way is followed, the workspace's own
 * and those the entry itself makes. Reads the workspace (stat, realpath, readlink), writes nothing.
 */
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { isWithin, toRepoPath } from '../model/index.js';
import { realpathOrUndefined } from './place.js';

type FolderPlace = 'outside' | 'blocked' | 'present' | 'missing';

/** `outside`: the path itself leaves the workspace (the entry's doing); `leads-out`: a folder of the workspace on its way is a link leading out (the workspace's doing). */
export type Destination =
  | { readonly kind: 'outside' }
  | { readonly kind: 'leads-out'; readonly folder: string }
  | { readonly kind: 'blocked'; readonly folder: string }
  | { readonly kind: 'inside'; readonly path: string; readonly folderMissing: boolean };

export class Destinations {
  private rootReal: string | undefined;
  /** Where each output folder (repository-relative) stands, worked out once per restore. */
  private readonly checkedDirs = new Map<string, FolderPlace>();

  constructor(readonly workspaceRoot: string) {}

  /** Forgets the folder verdicts: only trusted within one restore, as tasks may move folders between runs. */
  reset(): void {
    this.checkedDirs.clear();
  }

  /** Where a repository-relative output path lands: outside the workspace, blocked by a file, or its absolute path inside (and whether its folder is missing). */
  of(path: string): Destination {
    const rp = toRepoPath(path);
    if (rp === undefined || rp === '' || rp !== path) return { kind: 'outside' };
    // Outputs come many to a folder: its verdict is worked out once per restore.
    const parent = dirname(rp);
    let place = this.checkedDirs.get(parent);
    if (place === undefined) this.checkedDirs.set(parent, (place = this.placeOf(parent)));
    if (place === 'outside') return { kind: 'leads-out', folder: parent };
    if (place === 'blocked') return { kind: 'blocked', folder: parent };
    return { kind: 'inside', path: this.workspaceRoot + sep + rp, folderMissing: place === 'missing' };
  }

  /**
   * Where the folder `rpDir` (repository-relative) stands, by its nearest existing ancestor (or
   * itself): outside the workspace when that resolves outside (a symbolic link leading out),
   * blocked when it is not a folder, else present or missing.
   */
  private placeOf(rpDir: string): FolderPlace {
    return this.placeByFolders(rpDir) ?? this.placeByRealpath(rpDir);
  }

  /**
   * `placeOf` in the usual case, with one lstat per folder from the root down (a realpath costs
   * a system call per name of the whole path, and one that fails is tried again one folder up):
   * while every folder on the way is a plain folder, the first missing one makes the rest
   * missing, and a file blocks. Undefined on a symbolic link or an error (the realpath walk decides).
   */
  private placeByFolders(rpDir: string): FolderPlace | undefined {
    // The root itself is missing only where it is a folder of a restore's own (restoring ahead stages into a new one): nothing in it needs a look.
    if (rpDir === '.' || rpDir === '') return lstatSync(this.workspaceRoot, { throwIfNoEntry: false }) === undefined ? 'missing' : 'present';
    let from = 0;
    for (;;) {
      const cut = rpDir.indexOf('/', from);
      const path = `${this.workspaceRoot}${sep}${cut < 0 ? rpDir : rpDir.slice(0, cut)}`;
      let st;
      try {
        st = lstatSync(path, { throwIfNoEntry: false });
      } catch {
        return undefined;
      }
      if (st === undefined) return 'missing';
      if (st.isSymbolicLink()) return undefined;
      if (!st.isDirectory()) return 'blocked';
      if (cut < 0) return 'present';
      from = cut + 1;
    }
  }

  /** `placeOf` by the real path of the nearest existing folder: what decides where a symbolic link is on the way. */
  private placeByRealpath(rpDir: string): FolderPlace {
    let dir = rpDir;
    while (dir !== '.' && dir !== '') {
      const real = realpathOrUndefined(join(this.workspaceRoot, dir));
      if (real !== undefined) {
        if (!this.insideRoot(real)) return 'outside';
        if (!statSync(real).isDirectory()) return 'blocked';
        return dir === rpDir ? 'present' : 'missing';
      }
      dir = dirname(dir);
    }
    return rpDir === '.' || rpDir === '' ? 'present' : 'missing';
  }

  /** Whether a real path is the workspace's own real root or lies below it. */
  insideRoot(real: string): boolean {
    const root = this.realRoot();
    return real === root || isWithin(real, root);
  }

  private realRoot(): string {
    return (this.rootReal ??= realpathSync(this.workspaceRoot));
  }

  /**
   * Whether the link of the entry at `rp` would lead out of the workspace once the restore made all
   * of the entry's links: its target is followed one name at a time, through the entry's links and
   * the workspace's own, as the kernel will (the lexical check alone takes every name for a folder).
   * Where a workspace link itself leads out, that is the workspace's doing, not the entry's.
   * `outputs` maps each output of the entry to its link target (undefined for a file).
   */
  linkLeadsOut(rp: string, outputs: ReadonlyMap<string, string | undefined>): boolean {
    const rootReal = this.realRoot();
    // From the root: the link's own folders may be links of the workspace too.
    const at: string[] = [];
    // Names still to follow, last first; `own` marks those from a workspace link.
    const todo = `${dirname(rp)}/${outputs.get(rp)!}`.split('/').reverse().map((name) => ({ name, own: false }));
    for (let hops = 0; todo.length > 0; ) {
      const { name, own } = todo.pop()!;
      if (name === '' || name === '.') continue;
      if (name === '..') {
        if (at.pop() === undefined) return !own;
        continue;
      }
      const path = [...at, name].join('/');
      // An output of the entry replaces whatever the workspace has there.
      const ofEntry = outputs.has(path);
      const target = ofEntry ? outputs.get(path) : this.workspaceLink(path);
      if (target === undefined) {
        at.push(name);
        continue;
      }
      if (++hops > 40) return true; // a loop (ELOOP): refused
      if (isAbsolute(target)) {
        const inside = toRepoPath(relative(rootReal, target)) ?? toRepoPath(relative(this.workspaceRoot, target));
        if (inside === undefined) return false; // the workspace's own link leading out
        at.length = 0;
        todo.push(...inside.split('/').reverse().map((n) => ({ name: n, own: true })));
        continue;
      }
      todo.push(...target.split('/').reverse().map((n) => ({ name: n, own: !ofEntry })));
    }
    return false;
  }

  /** The target of a symbolic link the workspace has at `rp`, if it has one. */
  private workspaceLink(rp: string): string | undefined {
    try {
      const p = join(this.workspaceRoot, rp);
      return lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() ? readlinkSync(p) : undefined;
    } catch {
      return undefined; // a file where a folder would be: the name resolves no further
    }
  }
}
