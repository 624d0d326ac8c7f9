/**
 * Run bundles (`bundle.ts`) over a remote client: fetched whole while a fresh clone plans, and
 * uploaded after a run from the local store's entries. Neither ever fails a run: a bundle that
 * cannot be had costs one request per task, as without bundles.
 */
import pLimit from 'p-limit';
import type { LocalCache } from '../cache/index.js';
import { encodeRunBundle, decodeRunBundle, RUN_BUNDLE_ENTRY_MAX, RUN_BUNDLE_MAX, type BundledEntry } from './bundle.js';
import type { BundlePlan } from './bundle-plan.js';
import { readWholeBody, type RemoteClient } from './client.js';
import { trace } from '../trace/index.js';

/** A bundle's bytes beyond its entries' bodies: the magic, the header's length, and each entry's line in the header (at most 84 bytes). */
const OVERHEAD = 64;
const PER_ENTRY = 84;

/** A bundle asked for: its entries by hash; `missing` (the server has none); `unusable` (refused, or the server failed). */
export type FetchedBundle =
  | { readonly status: 'found'; readonly entries: ReadonlyMap<string, Uint8Array>; readonly plan: BundlePlan | undefined }
  | { readonly status: 'missing' }
  | { readonly status: 'unusable' };

/** The bundle under `key` (a refused one is a warning that says why; a failing server's breaker says so itself). */
export async function fetchRunBundle(client: RemoteClient, key: string, warn: (message: string) => void): Promise<FetchedBundle> {
  trace(`run bundle ${key.slice(0, 12)} asked for`);
  const read = await client.get(key);
  if (read.status !== 'found') return { status: read.status === 'miss' ? 'missing' : 'unusable' };
  trace(`run bundle ${key.slice(0, 12)} found, ${read.size ?? '?'} bytes`);
  const whole = await readWholeBody(read, RUN_BUNDLE_MAX, 'the run bundle');
  const decoded = whole.status === 'whole' ? decodeRunBundle(whole.bytes) : { ok: false as const, reason: whole.reason };
  if (decoded.ok) return { status: 'found', entries: decoded.entries, plan: decoded.plan };
  warn(`remote cache ${client.server}: the run bundle ${key.slice(0, 12)} was not used: ${decoded.reason}. Each task's entry is fetched alone.`);
  return { status: 'unusable' };
}

/**
 * The first of the bundles under `keys` that the server has (HEAD's, else its parent's: a new
 * commit shares most of its tasks' entries with the one before it, and the plan uses only those
 * whose hashes it worked out). Only a missing one sends kiln to the next: after a refused bundle
 * or a failing server, tasks are fetched alone. `guessed`: HEAD's key as guessed before git
 * answered, asked for at once; used only when it is `keys`' first (`ownPlan` is told only then).
 */
export async function fetchFirstRunBundle(
  client: RemoteClient,
  keys: Promise<readonly string[]>,
  warn: (message: string) => void,
  ownPlan: (plan: BundlePlan | undefined) => void,
  guessed?: string,
): Promise<{ readonly entries: ReadonlyMap<string, Uint8Array>; readonly own: boolean; readonly plan: BundlePlan | undefined } | undefined> {
  const early = guessed === undefined ? undefined : fetchRunBundle(client, guessed, warn);
  early?.catch(() => undefined);
  for (const [i, k] of (await keys).entries()) {
    const got = i === 0 && k === guessed ? await early! : await fetchRunBundle(client, k, warn);
    if (i === 0) ownPlan(got.status === 'found' ? got.plan : undefined);
    if (got.status === 'found') {
      trace(`run bundle ${k.slice(0, 12)}${i === 0 ? '' : " (of HEAD's parent)"}: ${got.entries.size} entries${got.plan ? ', with its plan' : ''}`);
      return { entries: got.entries, own: i === 0, plan: got.plan };
    }
    trace(`no run bundle ${k.slice(0, 12)} to use`);
    if (got.status === 'unusable') return undefined;
  }
  return undefined;
}

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
