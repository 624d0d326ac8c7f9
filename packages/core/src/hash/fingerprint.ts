import { canonicalJson, hash as toHash, sha256, type Hash } from '../model/index.js';

export { envDigest } from '../model/index.js';

/**
 * Bump to invalidate every cache entry, whenever the meaning of a field or the way the runner
 * executes a task changes.
 */
// 2: tasks run with SOURCE_DATE_EPOCH, TZ=UTC and umask 022 (reproducible builds), so outputs
// stored by version 1 were made differently.
export const FINGERPRINT_VERSION = 2;

/**
 * Everything a task's result depends on. The task hash is the SHA-256 of this structure
 * serialised canonically (object keys sorted, no whitespace), so it is the same on any machine
 * and in any checkout directory: paths are repository-relative, file digests are git blob ids.
 * Kept whole in each cache entry, so a miss can be explained field by field (`diffFingerprints`).
 */
export interface Fingerprint {
  readonly version: number;
  /** `project:target`. */
  readonly task: string;
  /** The project root, repository-relative. */
  readonly root: string;
  /** What runs: executor, command(s), options, the chosen configuration, outputs, extra args. */
  readonly target: Readonly<Record<string, unknown>>;
  /** Input files → git blob id (SHA-1 of `blob <size>\0<content>`). */
  readonly files: Readonly<Record<string, string>>;
  /** Task ids this task depends on → their task hashes. */
  readonly dependencies: Readonly<Record<string, string>>;
  /**
   * Direct dependency projects (for `^` inputs) → a chained digest: SHA-256 over their selected
   * input files as `path\0blob-id\n` lines, then `^dep\0digest\n` for each of their own
   * dependencies. Any file change anywhere below changes it, and the fingerprint stays small in
   * deep graphs; the dependency's own task fingerprint names the files.
   */
  readonly projectFiles: Readonly<Record<string, string>>;
  /** Environment variables → SHA-256 of the value (the value itself is never stored), or null when unset. */
  readonly env: Readonly<Record<string, string | null>>;
  /** `{runtime}` commands → SHA-256 of their output. */
  readonly runtime: Readonly<Record<string, string>>;
  /** External packages → resolved version (from the lockfile, or the declared range without one). */
  readonly external: Readonly<Record<string, string>>;
}

/** The task hash: SHA-256 of the canonical fingerprint. */
export function fingerprintDigest(f: Fingerprint): Hash {
  return toHash(sha256(canonicalJson(f)));
}
