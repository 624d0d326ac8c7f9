import { createHash } from 'node:crypto';
import { hash as toHash, type Hash } from '../model/index.js';

/**
 * Bump to invalidate every cache entry, whenever the meaning of a field or the way the runner
 * executes a task changes.
 */
export const FINGERPRINT_VERSION = 1;

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

/** JSON with object keys sorted at every level: one text per value, whatever the insertion order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const k of keys) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The task hash: SHA-256 of the canonical fingerprint. */
export function fingerprintDigest(f: Fingerprint): Hash {
  return toHash(sha256(canonicalJson(f)));
}

/** Git's blob id of some content: SHA-1 of `blob <length>\0<content>`, so it agrees with `git ls-files -s`. */
export function gitBlobId(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** Hides an env value behind its digest; null when the variable is unset. */
export function envDigest(value: string | undefined): string | null {
  return value === undefined ? null : sha256(value);
}
