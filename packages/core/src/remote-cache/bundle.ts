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
  { readonly ok: true; readonly entries: Map<string, Uint8Array>; readonly plan: BundlePlan | undefined } | { readonly ok: false; readonly reason: string };

/** The entries of a bundle by hash (views of `bytes`) and its plan (undefined when it has none this kiln reads), or why it is not one. */
export function decodeRunBundle(bytes: Uint8Array): DecodedRunBundle {
  const reader = new RunBundleReader();
  const pushed = reader.push(bytes);
  return pushed.ok ? reader.end() : pushed;
}

/**
 * A bundle read as its bytes come: its header once they hold it (the entries it lists, in order,
 * and its plan), then each entry as soon as its last byte is in (a view of the chunk that held it
 * whole, else a copy of its own), and at the end the same verdict as `decodeRunBundle`.
 */
export class RunBundleReader {
  private pending: Uint8Array[] = [];
  private pendingSize = 0;
  /** The header, once read: the entries it lists, in order, their bytes in all, and the plan. */
  header: { readonly hashes: readonly string[]; readonly bytes: number; readonly plan: BundlePlan | undefined } | undefined;
  private sizes: number[] = [];
  private readonly entries = new Map<string, Uint8Array>();
  private failed: string | undefined;

  /** Takes the next chunk: the entries it completed, in order, or why the bytes so far are no bundle. */
  push(chunk: Uint8Array): { readonly ok: true; readonly arrived: readonly BundledEntry[] } | { readonly ok: false; readonly reason: string } {
    if (this.failed !== undefined) return { ok: false, reason: this.failed };
    this.pending.push(chunk);
    this.pendingSize += chunk.length;
    if (this.header === undefined && !this.readHeader()) return this.failed === undefined ? { ok: true, arrived: [] } : { ok: false, reason: this.failed };
    const arrived: BundledEntry[] = [];
    const hashes = this.header!.hashes;
    while (this.entries.size < hashes.length && this.pendingSize >= this.sizes[this.entries.size]!) {
      const hash = hashes[this.entries.size]!;
      const body = this.take(this.sizes[this.entries.size]!);
      this.entries.set(hash, body);
      arrived.push({ hash, body });
    }
    return { ok: true, arrived };
  }

  /** Every entry by hash and the plan, once the last byte came; or why the bytes were no whole bundle. */
  end(): DecodedRunBundle {
    const fail = (reason: string): DecodedRunBundle => ({ ok: false, reason });
    if (this.failed !== undefined) return fail(this.failed);
    if (this.header === undefined)
      return fail(this.pendingSize < MAGIC.length + 4 || !this.startsAsBundle() ? 'it does not start as a run bundle' : 'its header runs past its end');
    const missing = this.header.hashes[this.entries.size];
    if (missing !== undefined) return fail(`the entry ${missing.slice(0, 12)} runs past its end`);
    return this.pendingSize === 0 ? { ok: true, entries: this.entries, plan: this.header.plan } : fail(`${this.pendingSize} bytes follow its last entry`);
  }

  private startsAsBundle(): boolean {
    const head = this.peek(Math.min(this.pendingSize, MAGIC.length));
    return MAGIC.subarray(0, head.length).equals(head);
  }

  /** Reads the header when the bytes so far hold it; false while they do not (or, `failed` set, when they are no bundle). */
  private readHeader(): boolean {
    if (!this.startsAsBundle()) return !(this.failed = 'it does not start as a run bundle');
    if (this.pendingSize < MAGIC.length + 4) return false;
    const length = this.peek(MAGIC.length + 4).readUInt32BE(MAGIC.length);
    if (this.pendingSize < MAGIC.length + 4 + length) return false;
    this.take(MAGIC.length + 4);
    let list: unknown;
    let plan: unknown;
    try {
      ({ entries: list, plan } = JSON.parse(Buffer.from(this.take(length)).toString('utf8')) as { entries?: unknown; plan?: unknown });
    } catch {
      return !(this.failed = 'its header is not JSON');
    }
    if (!Array.isArray(list)) return !(this.failed = 'its header lists no entries');
    const hashes: string[] = [];
    const seen = new Set<string>();
    for (const item of list) {
      const [hash, size] = Array.isArray(item) ? (item as unknown[]) : [];
      if (typeof hash !== 'string' || !isRemoteKey(hash) || seen.has(hash)) return !(this.failed = `its header names ${JSON.stringify(hash)} wrongly or twice`);
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > RUN_BUNDLE_MAX) return !(this.failed = `the entry ${hash.slice(0, 12)} runs past its end`);
      seen.add(hash);
      hashes.push(hash);
      this.sizes.push(size);
    }
    this.header = { hashes, bytes: this.sizes.reduce((n, size) => n + size, 0), plan: parseBundlePlan(plan) };
    return true;
  }

  /** The first `n` pending bytes, without taking them (a copy when they span chunks). */
  private peek(n: number): Buffer {
    const first = this.pending[0]!;
    if (first.length >= n) return Buffer.from(first.buffer, first.byteOffset, n);
    return Buffer.concat(this.pending).subarray(0, n);
  }

  /** Takes the first `n` pending bytes: a view when one chunk holds them, else a copy of their own. */
  private take(n: number): Uint8Array {
    this.pendingSize -= n;
    const first = this.pending[0];
    if (first !== undefined && first.length >= n) {
      const part = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
      return part;
    }
    const whole = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.pending[0]!;
      const part = Math.min(c.length, n - at);
      whole.set(c.subarray(0, part), at);
      at += part;
      if (part === c.length) this.pending.shift();
      else this.pending[0] = c.subarray(part);
    }
    return whole;
  }
}
