/**
 * The lockfile names, by their repo-relative path at the workspace root: the one list kiln
 * keeps. Free of imports so the warm `kiln affected` path can name lockfiles without loading
 * the parsers.
 */

/** The lockfiles kiln reads. */
export const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock'] as const;
/** Lockfiles kiln recognises but cannot read (a change to one is treated as global). */
export const OTHER_LOCKFILES = ['bun.lockb', 'pnpm-lock.yml'] as const;

export type LockfileName = (typeof LOCKFILES)[number];

export const isLockfile = (path: string): path is LockfileName => (LOCKFILES as readonly string[]).includes(path);
export const isOtherLockfile = (path: string): boolean => (OTHER_LOCKFILES as readonly string[]).includes(path);
