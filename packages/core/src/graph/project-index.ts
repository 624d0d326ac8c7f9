/**
 * Which project a path belongs to: the project with the deepest root containing it on whole path
 * segments (`libs/a` owns `libs/a/x.ts`, not `libs/ab/x.ts`); a workspace-root project owns what
 * no other project does. The one file-to-project index: the graph, affected, inputs and hashing
 * all ask it. Pure, and cheap to build (kept free of imports, for `kiln affected`'s warm path).
 */

/**
 * A project root as the index keys it: `/`-separated, no leading `./`, no trailing `/`; `''`
 * and `'.'` are the workspace root (Nx writes `.`, kiln's repo paths ``).
 */
export function normalizeRoot(root: string): string {
  // Most roots are already plain (`libs/a`): no backslash, no leading `.`, no trailing `/`.
  if (!root.includes('\\') && root[0] !== '.' && root[root.length - 1] !== '/') return root;
  const r = root.replace(/\\/g, '/').replace(/^\.(\/|$)/, '').replace(/\/+$/, '');
  return r === '.' ? '' : r;
}

export class ProjectIndex<Name extends string = string> {
  private readonly byRoot = new Map<string, Name>();
  /** Directory → owning project (null: none), filled as paths are looked up. */
  private readonly byDir = new Map<string, Name | null>();

  /** Two projects at one root (never so in a valid workspace): the first by name owns it. */
  constructor(projects: Iterable<{ readonly name: Name; readonly root: string }>) {
    for (const p of projects) {
      const root = normalizeRoot(p.root);
      const other = this.byRoot.get(root);
      if (other === undefined || p.name < other) this.byRoot.set(root, p.name);
    }
  }

  /** The project containing `path`, a file or a directory (a project's own root included). */
  projectOf(path: string): Name | undefined {
    const own = this.byRoot.get(path);
    if (own !== undefined) return own;
    if (path === '') return undefined;
    return this.projectOfFile(path);
  }

  /** The project containing a file: only its directories are looked up (a file is never a project root). */
  projectOfFile(file: string): Name | undefined {
    const slash = file.lastIndexOf('/');
    return this.projectOfDir(slash < 0 ? '' : file.slice(0, slash)) ?? undefined;
  }

  private projectOfDir(dir: string): Name | null {
    let hit = this.byDir.get(dir);
    if (hit !== undefined) return hit;
    hit = this.byRoot.get(dir) ?? null;
    if (hit === null && dir !== '') {
      const slash = dir.lastIndexOf('/');
      hit = this.projectOfDir(slash < 0 ? '' : dir.slice(0, slash));
    }
    this.byDir.set(dir, hit);
    return hit;
  }
}
