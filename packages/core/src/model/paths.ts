import type { RepoPath } from './brand.js';

/**
 * Normalises a relative path to a `RepoPath`: `/` separators, no `./`, no trailing `/`.
 * Returns undefined for a path that leaves the workspace (`..`) or is absolute.
 */
export function toRepoPath(p: string): RepoPath | undefined {
  const s = p.replace(/\\/g, '/');
  if (s.startsWith('/') || /^[A-Za-z]:\//.test(s)) return undefined;
  const out: string[] = [];
  for (const seg of s.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(seg);
  }
  return out.join('/') as RepoPath;
}

/** True when `path` is `root` or lies below it on whole path segments; the root `''` contains everything. */
export function isWithin(path: string, root: string): boolean {
  if (root === '' || root === '.') return true;
  return path === root || (path.length > root.length && path.startsWith(root) && path.charCodeAt(root.length) === 47);
}

/** Joins repo-relative segments, dropping empty ones. */
export function joinRepoPath(...parts: string[]): RepoPath {
  return toRepoPath(parts.filter((p) => p !== '' && p !== '.').join('/')) ?? ('' as RepoPath);
}
