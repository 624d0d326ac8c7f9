/**
 * Run bundles (`bundle.ts`) uploaded after a run, from the local store's entries (`bundle-fetch.ts`
 * fetches them). An upload never fails a run.
 */
import pLimit from 'p-limit';
import type { LocalCache } from '../cache/index.js';
import { encodeRunBundle, RUN_BUNDLE_ENTRY_MAX, RUN_BUNDLE_MAX, type BundledEntry } from './bundle.js';
import type { BundlePlan } from './bundle-plan.js';
import type { RemoteClient } from './client.js';

/** A bundle's bytes beyond its entries' bodies: the magic, the header's length, and each entry's line in the header (at most 84 bytes). */
const OVERHEAD = 64;
const PER_ENTRY = 84;

/**
 * Uploads, under `key`, the bundle of the entries of `hashes` (in that order): each body as
 * `known` holds it (verified bodies already in memory), else as the local store has it. An entry
 * larger than `RUN_BUNDLE_ENTRY_MAX`, or past `RUN_BUNDLE_MAX` in all, is left out (a clone
 * fetches it alone). `plan` goes in only when every entry of it does. Nothing in read-only mode; a
 * failing server is its breaker's to report.
 */
export async function uploadRunBundle(
  client: RemoteClient,
  local: LocalCache,
  key: string,
  hashes: readonly string[],
  known?: ReadonlyMap<string, Uint8Array>,
  plan?: BundlePlan,
): Promise<void> {
  if (client.readOnly) return;
  const limit = pLimit(16);
  const held = (hash: string): Uint8Array | undefined => {
    const body = known?.get(hash);
    return body !== undefined && body.length <= RUN_BUNDLE_ENTRY_MAX ? body : undefined;
  };
  const bodies = await Promise.all(hashes.map((hash) => held(hash) ?? limit(() => entryBody(local, hash))));
  const entries: BundledEntry[] = [];
  let total = OVERHEAD;
  for (const [i, body] of bodies.entries()) {
    if (body === undefined || total + body.length + PER_ENTRY > RUN_BUNDLE_MAX) continue;
    entries.push({ hash: hashes[i]!, body });
    total += body.length + PER_ENTRY;
  }
  if (entries.length === 0) return;
  const bundled = new Set(entries.map((e) => e.hash));
  const bytes = encodeRunBundle(entries, plan?.tasks.every(([, hash]) => bundled.has(hash)) ? plan : undefined);
  await client.put(key, {
    size: bytes.length,
    open: async function* () {
      yield bytes;
    },
  });
}

/** The body the entry of `hash` is uploaded as, or undefined when it is too large for a bundle or cannot be read whole. */
async function entryBody(local: LocalCache, hash: string): Promise<Buffer | undefined> {
  try {
    const s = await local.entryStream(hash);
    if (s === undefined || s.size > RUN_BUNDLE_ENTRY_MAX) return undefined;
    const chunks: Uint8Array[] = [];
    for await (const c of s.open()) chunks.push(c);
    const body = Buffer.concat(chunks);
    return body.length === s.size ? body : undefined;
  } catch {
    // Evicted or changed meanwhile: a clone fetches it alone.
    return undefined;
  }
}
