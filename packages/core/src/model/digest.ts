import { createHash, hash, type Hash as Hasher } from 'node:crypto';

/**
 * JSON with object keys sorted at every level: one text per value, whatever the insertion order.
 * Task hashes are digests of this text, so it never changes (model.test.ts holds it to the plain
 * recursive definition); it is written for speed, as a fresh clone's run serialises every fingerprint.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // A hole stays empty, as `map` and `join` leave it.
      if (!(i in value)) continue;
      const v: unknown = value[i];
      out += v === undefined ? 'null' : canonicalJson(v);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (isPlainStringRecord(record, keys)) return JSON.stringify(record);
  keys.sort();
  let out = '{';
  for (const k of keys) {
    const v = record[k];
    if (v === undefined || typeof v === 'function') continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}

/**
 * Whether the engine's own `JSON.stringify` already writes `record` canonically: a plain object
 * (no `toJSON` to consult) whose keys, in the order it keeps them (the order `JSON.stringify`
 * follows), come sorted, and whose values are all strings. Most of a fingerprint (its files,
 * dependencies, env) is such a record.
 */
function isPlainStringRecord(record: Record<string, unknown>, keys: readonly string[]): boolean {
  const proto: unknown = Object.getPrototypeOf(record);
  if (keys.length === 0 || (proto !== Object.prototype && proto !== null)) return false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (typeof record[k] !== 'string' || (i > 0 && !(keys[i - 1]! < k))) return false;
  }
  return true;
}

/** SHA-256 as lowercase hex (one call: a fresh clone's plan takes thousands, and a hasher object each costs more than the digest). */
export function sha256(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}

/** An env value as fingerprints and the run manifest record it: its SHA-256 (never the value itself), or null when unset. */
export function envDigest(value: string | undefined): string | null {
  return value === undefined ? null : sha256(value);
}

/** Git's blob id of some content: SHA-1 of `blob <length>\0<content>`, so it agrees with `git ls-files -s`. */
export function gitBlobId(content: Uint8Array): string {
  return gitBlobHasher(content.length).update(content).digest('hex');
}

/** `gitBlobId` of content too big to hold at once: update it with all `size` bytes, in order, then `digest('hex')`. */
export function gitBlobHasher(size: number): Hasher {
  return createHash('sha1').update(`blob ${size}\0`);
}
