/**
 * files: the digest of every candidate input file, from git's index for clean tracked files and
 * from content (as git blob ids) for modified and untracked ones, with a persisted stat cache.
 * Edge module: it runs git and reads files. Which files are inputs of which task is `inputs/`'s
 * business; turning digests into a task hash is `hash/`'s.
 */
export * from './stat-cache.js';
export * from './digests.js';
export * from './snapshot.js';
export * from './blob-id.js';
