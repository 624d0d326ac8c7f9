/**
 * A run bundle: the entries of every task a run used, in one remote object under a key named by
 * the commit and the request (`runBundleKey`). A fresh clone of the same commit asking the same
 * (CI's later jobs, a rerun) fetches it while it plans, so its restore needs no request per task.
 *
 * Its entries are a prefetch, never a source of truth. The bundle passes the transport's verdict as a
 * whole (turbo's signature, Bazel's digest); each entry in it is the exact body its own upload
 * sent, and is taken in through the same verification as one downloaded alone; and only the
 * entries of hashes the plan itself worked out are used. Whatever the bundle lacks is fetched as
 * before. Pure: bytes in, bytes out.
 *
 * A bundle uploaded by a clean run whose every task was cached or stored may carry that run's plan
 * (`bundle-plan.ts`): the one thing in it that a clone takes on trust, and only under the conditions
 * that plan states.
 *
 *   "KILNRB01" · u32 (big-endian) length of the header · header: JSON `{"entries":[[hash, size], ...], "plan"?: {...}}` · bodies, in that order
 */
import { canonicalJson, sha256 } from '../model/index.js';
import { parseBundlePlan, type BundlePlan } from './bundle-plan.js';
import { isRemoteKey } from './client.js';

const MAGIC = Buffer.from('KILNRB01', 'latin1');

/** A bundle holds at most this much: it is read whole into memory. */
export const RUN_BUNDLE_MAX = 64 * 1024 * 1024;
/** A larger entry is left out (it is fetched alone, streamed): the restore workers take a body whole only up to this size. */
export const RUN_BUNDLE_ENTRY_MAX = 8 * 1024 * 1024;

/** What names a bundle: the commit, and what was asked of it (two clones of the same commit asking the same thing share it). */
export interface RunBundleRequest {
  readonly commit: string;
  /** The directory kiln ran in, relative to the workspace root (`''` at the root): clones sit in different places. */
  readonly cwd: string;
  readonly targets: readonly string[];
  readonly projects?: readonly string[];
  readonly configuration?: string;
  readonly args?: readonly string[];
}

/** The remote key of the bundle for `req`: SHA-256 hex, which cannot collide with a task hash or a shared state's key. */
export function runBundleKey(req: RunBundleRequest): string {
  const { commit, cwd, targets, projects, configuration, args } = req;
  return sha256(`kiln-run-bundle:1:${canonicalJson({ commit, cwd, targets, projects: projects ?? null, configuration: configuration ?? null, args: args ?? null })}`);
}

export interface BundledEntry {
  readonly hash: string;
  readonly body: Uint8Array;
}

/** The bundle of `entries` (each at most `RUN_BUNDLE_ENTRY_MAX`; the caller keeps the total under `RUN_BUNDLE_MAX`), with the run's `plan` if any. */
export function encodeRunBundle(entries: readonly BundledEntry[], plan?: BundlePlan): Buffer {
  const header = Buffer.from(JSON.stringify({ entries: entries.map((e) => [e.hash, e.body.length]), ...(plan && { plan }) }));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  return Buffer.concat([MAGIC, length, header, ...entries.map((e) => e.body)]);
}

export type DecodedRunBundle =
  | { readonly ok: true; readonly entries: Map<string, Uint8Array>; readonly plan: BundlePlan | undefined }
  | { readonly ok: false; readonly reason: string };

/** The entries of a bundle by hash (views of `bytes`) and its plan (undefined when it has none this kiln reads), or why it is not one. */
export function decodeRunBundle(bytes: Uint8Array): DecodedRunBundle {
  const fail = (reason: string): DecodedRunBundle => ({ ok: false, reason });
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return fail('it does not start as a run bundle');
  const headerEnd = MAGIC.length + 4 + buf.readUInt32BE(MAGIC.length);
  if (headerEnd > buf.length) return fail('its header runs past its end');
  let list: unknown;
  let plan: unknown;
  try {
    ({ entries: list, plan } = JSON.parse(buf.subarray(MAGIC.length + 4, headerEnd).toString('utf8')) as { entries?: unknown; plan?: unknown });
  } catch {
    return fail('its header is not JSON');
  }
  if (!Array.isArray(list)) return fail('its header lists no entries');
  const entries = new Map<string, Uint8Array>();
  let at = headerEnd;
  for (const item of list) {
    const [hash, size] = Array.isArray(item) ? (item as unknown[]) : [];
    if (typeof hash !== 'string' || !isRemoteKey(hash) || entries.has(hash)) return fail(`its header names ${JSON.stringify(hash)} wrongly or twice`);
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || at + size > buf.length) return fail(`the entry ${hash.slice(0, 12)} runs past its end`);
    entries.set(hash, buf.subarray(at, at + size));
    at += size;
  }
  return at === buf.length ? { ok: true, entries, plan: parseBundlePlan(plan) } : fail(`${buf.length - at} bytes follow its last entry`);
}
