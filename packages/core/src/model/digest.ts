import { createHash, type Hash as Hasher } from 'node:crypto';

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

/** SHA-256 as lowercase hex. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
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
