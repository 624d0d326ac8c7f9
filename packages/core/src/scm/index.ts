/**
 * scm: git, run as a child process. Resolves refs and merge-bases, lists changed files
 * (committed, staged, unstaged and untracked, with renames), reads the index's object ids
 * and files at a ref; guesses HEAD's commit from the repository's files (`head-file.ts`), for
 * what may start before git answers. All paths it returns are relative to the directory it was given
 * (the workspace root, which may sit below the repository root), `/`-separated.
 * It decides one thing, for every command alike: the base a change is measured from (`base.ts`:
 * the base ref's precedence, then the merge-base with head). What a change means is `affected/`'s business.
 */
export * from './git.js';
export * from './changes.js';
export * from './history.js';
export * from './at-ref.js';
export * from './working-changes.js';
export * from './refs.js';
export * from './base.js';
export * from './change-set.js';
