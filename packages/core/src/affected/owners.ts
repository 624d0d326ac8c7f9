import type { ProjectRef } from './types.js';

/**
 * Which project owns a path: the one with the longest root containing it on whole path segments
 * (`libs/a` owns `libs/a/x.ts` but not `libs/ab/x.ts`); a root project (`''`) owns what no other
 * project does. A map lookup per path segment, so 5,000 projects cost nothing extra.
 */
export class ProjectIndex {
  private readonly byRoot = new Map<string, string>();
  constructor(projects: readonly ProjectRef[]) {
    for (const p of projects) this.byRoot.set(normalizeRoot(p.root), p.name);
  }

  ownerOf(path: string): string | undefined {
    let p = path;
    for (;;) {
      const owner = this.byRoot.get(p);
      if (owner !== undefined) return owner;
      if (p === '') return undefined;
      const slash = p.lastIndexOf('/');
      p = slash === -1 ? '' : p.slice(0, slash);
    }
  }

  rootOf(name: string): string | undefined {
    for (const [root, n] of this.byRoot) if (n === name) return root;
    return undefined;
  }
}

export function normalizeRoot(root: string): string {
  // Most roots are already plain (`libs/a`): no backslash, no leading `.`, no trailing `/`.
  if (!root.includes('\\') && root[0] !== '.' && root[root.length - 1] !== '/') return root;
  const r = root.replace(/\\/g, '/').replace(/^\.\/?/, '').replace(/\/+$/, '');
  return r === '.' ? '' : r;
}
