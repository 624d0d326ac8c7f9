/**
 * scm: git, run as a child process. Resolves refs and merge-bases, lists changed files
 * (committed, staged, unstaged and untracked, with renames), reads the index's object ids
 * and files at a ref. All paths it returns are relative to the directory it was given
 * (the workspace root, which may sit below the repository root), `/`-separated.
 * It decides nothing: what a change means is `affected/`'s business.
 */
export * from './git.js';
export * from './changes.js';
export * from './history.js';
export * from './at-ref.js';
export * from './working-changes.js';
export * from './refs.js';
