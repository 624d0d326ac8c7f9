/**
 * hash: task fingerprints and their digests. A fingerprint is one documented structure with a
 * schema version (see `Fingerprint`); the task hash is the SHA-256 of its canonical JSON.
 * `resolveTaskHashInputs` and `hashTasks` hash a whole task graph, dependencies first: a task's
 * own files one by one, each dependency's share of its `^` inputs as one chained digest (per
 * strongly connected component, so cycles hash the same whichever task asks first), env names,
 * `{runtime}` commands and external package versions (`lockfileVersions`: from the lockfile, with
 * everything a package pulls in). `diffFingerprints` explains a cache miss field by field.
 *
 * Pure: file digests, env values, runtime outputs and the parsed lockfile arrive as data;
 * reading files and asking git is `files/`' job, reading the lockfile and running `{runtime}`
 * commands `tasks/`' (`hash-inputs.ts`), storing fingerprints `cache/`'s.
 */
export * from './fingerprint.js';
export * from './build.js';
export * from './diff.js';
export * from './target.js';
export * from './externals.js';
export * from './tasks.js';
export { TaskHashMemo } from './memo.js';
