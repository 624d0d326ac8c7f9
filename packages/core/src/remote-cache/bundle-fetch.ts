/**
 * Fetching a run bundle (`bundle.ts`) as its bytes come: its header (the plan, the entries it
 * lists) as soon as it is in, then each entry as soon as its last byte is. An entry may be used
 * before the bundle ends only when the transport's verdict checks nothing but the length (turbo's
 * API without a signature key): each entry is then as good as the whole, since it is taken in
 * through the same verification as one fetched alone. Where the verdict covers the whole body (a
 * signature, Bazel's digest), nothing of it is used before the verdict. A fetch never fails a
 * run: a bundle that cannot be had costs one request per task, as without bundles.
 */
import { RUN_BUNDLE_MAX, RunBundleReader, type DecodedRunBundle } from './bundle.js';
import type { BundlePlan } from './bundle-plan.js';
import { readBody, type RemoteClient, type RemoteRead } from './client.js';
import { trace } from '../trace/index.js';
// The file itself, not the cache's index: the bundle's fetch starts before the rest of the engine is loaded.
import { bodiesBytes } from '../cache/restore-pool.js';

/** Where restores take a run bundle's entries from: each as soon as it may be used, undefined when the bundle does not hold it (or did not come whole). */
export interface BundleEntries {
  get(hash: string): Promise<Uint8Array | undefined>;
  /** The bytes of the entries that will be at hand (0: none), as soon as that is known (the restore workers then take every core, when there are enough). */
  readonly atHand: Promise<number>;
}

/** The entries of a bundle fetched whole (`fetched`: undefined when there was none to use), for restores. */
export function wholeEntries(fetched: Promise<ReadonlyMap<string, Uint8Array> | undefined>): BundleEntries {
  return { get: async (hash) => (await fetched)?.get(hash), atHand: fetched.then((m) => bodiesBytes(m?.values() ?? [])) };
}

/** A bundle's entries for the restores that ask for them, as they arrive (`asItComes`), else once the whole bundle passed its verdict. */
export class ArrivingEntries implements BundleEntries {
  private readonly arrived = new Map<string, Uint8Array>();
  private readonly waiting = new Map<string, ((body: Uint8Array | undefined) => void)[]>();
  private listed: ReadonlySet<string> | undefined;
  /** The entries once the fetch ended: the bundle's when it passed, else undefined. */
  private ended: { readonly entries: ReadonlyMap<string, Uint8Array> | undefined } | undefined;
  private settleAtHand: (bytes: number) => void = () => undefined;
  readonly atHand = new Promise<number>((resolve) => (this.settleAtHand = resolve));

  constructor(readonly asItComes: boolean) {}

  get(hash: string): Promise<Uint8Array | undefined> {
    if (this.ended !== undefined || (this.asItComes && (this.arrived.has(hash) || (this.listed !== undefined && !this.listed.has(hash)))))
      return Promise.resolve(this.usable(hash));
    return new Promise((resolve) => this.waiting.set(hash, [...(this.waiting.get(hash) ?? []), resolve]));
  }

  /** The header's entries are known, and their `bytes` in all. */
  list(hashes: readonly string[], bytes: number): void {
    this.listed = new Set(hashes);
    if (!this.asItComes) return;
    this.settleAtHand(bytes);
    for (const hash of this.waiting.keys()) if (!this.listed.has(hash)) this.wake(hash);
  }

  arrive(hash: string, body: Uint8Array): void {
    this.arrived.set(hash, body);
    if (this.asItComes) this.wake(hash);
  }

  /** The fetch ended: `entries` when the whole bundle passed, else undefined (what came as it came stays usable). */
  end(entries: ReadonlyMap<string, Uint8Array> | undefined): void {
    this.ended = { entries };
    this.settleAtHand(bodiesBytes(this.asItComes ? this.arrived.values() : (entries?.values() ?? [])));
    for (const hash of [...this.waiting.keys()]) this.wake(hash);
  }

  private usable(hash: string): Uint8Array | undefined {
    return this.ended?.entries?.get(hash) ?? (this.asItComes ? this.arrived.get(hash) : undefined);
  }

  private wake(hash: string): void {
    const waiting = this.waiting.get(hash);
    this.waiting.delete(hash);
    for (const resolve of waiting ?? []) resolve(this.usable(hash));
  }
}

/** A bundle asked for: its entries by hash; `missing` (the server has none); `unusable` (refused, or the server failed). */
export type FetchedBundle =
  | { readonly status: 'found'; readonly entries: ReadonlyMap<string, Uint8Array>; readonly plan: BundlePlan | undefined }
  | { readonly status: 'missing' }
  | { readonly status: 'unusable' };

/** A bundle's header as it came: its plan, and its entries for restores (`asItComes`: usable before the bundle ends). */
export interface BundleHeader {
  readonly plan: BundlePlan | undefined;
  readonly entries: ArrivingEntries;
}

/** A bundle being fetched: its header as soon as it is in (undefined when none came), and how the fetch ended. */
export interface BundleFetch {
  readonly header: Promise<BundleHeader | undefined>;
  readonly done: Promise<FetchedBundle>;
}

/** Fetches the bundle under `key` (a refused one is a warning that says why; a failing server's breaker says so itself). */
export function fetchRunBundle(client: RemoteClient, key: string, warn: (message: string) => void): BundleFetch {
  let settleHeader: (header: BundleHeader | undefined) => void = () => undefined;
  const header = new Promise<BundleHeader | undefined>((resolve) => (settleHeader = resolve));
  const done = (async (): Promise<FetchedBundle> => {
    trace(`run bundle ${key.slice(0, 12)} asked for`);
    const read = await client.get(key);
    if (read.status !== 'found') return { status: read.status === 'miss' ? 'missing' : 'unusable' };
    trace(`run bundle ${key.slice(0, 12)} found, ${read.size ?? '?'} bytes`);
    const entries = new ArrivingEntries(read.verdictIsLength === true);
    let decoded: DecodedRunBundle | undefined;
    try {
      decoded = await readBundle(
        read,
        (reader) => {
          trace(`run bundle ${key.slice(0, 12)}: its header is in (${reader.hashes.length} entries${reader.plan ? ', with its plan' : ''})`);
          entries.list(reader.hashes, reader.bytes);
          settleHeader({ plan: reader.plan, entries });
        },
        (hash, body) => entries.arrive(hash, body),
      );
    } finally {
      entries.end(decoded?.ok ? decoded.entries : undefined);
    }
    if (decoded.ok) return { status: 'found', entries: decoded.entries, plan: decoded.plan };
    warn(`remote cache ${client.server}: the run bundle ${key.slice(0, 12)} was not used: ${decoded.reason}. Each task's entry is fetched alone.`);
    return { status: 'unusable' };
  })();
  void done.catch(() => undefined).finally(() => settleHeader(undefined));
  return { header, done };
}

/** Reads a found body through a `RunBundleReader`, telling of its header and of each entry as they come; the bundle, or why it is not one whole. */
async function readBundle(
  read: Extract<RemoteRead, { status: 'found' }>,
  onHeader: (header: { readonly hashes: readonly string[]; readonly bytes: number; readonly plan: BundlePlan | undefined }) => void,
  onEntry: (hash: string, body: Uint8Array) => void,
): Promise<DecodedRunBundle> {
  const reader = new RunBundleReader();
  const r = await readBody(read, RUN_BUNDLE_MAX, 'the run bundle', (chunk) => {
    const known = reader.header !== undefined;
    const pushed = reader.push(chunk);
    if (!pushed.ok) return pushed.reason;
    if (!known && reader.header !== undefined) onHeader(reader.header);
    for (const e of pushed.arrived) onEntry(e.hash, e.body);
    return undefined;
  });
  return r.status === 'read' ? reader.end() : { ok: false, reason: r.reason };
}

/** What `fetchFirstRunBundle` found: the entries and plan of the first bundle the server had, and whether it is HEAD's own. */
export interface FirstBundle {
  readonly entries: ReadonlyMap<string, Uint8Array>;
  readonly own: boolean;
  readonly plan: BundlePlan | undefined;
}

/**
 * The first of the bundles under `keys` that the server has (HEAD's, else its parent's: a new
 * commit shares most of its tasks' entries with the one before it, and the plan uses only those
 * whose hashes it worked out). Only a missing one sends kiln to the next: after a refused bundle
 * or a failing server, tasks are fetched alone. `guessed`: HEAD's key as guessed before git
 * answered, asked for at once; used only when it is `keys`' first. `own` hears of HEAD's own
 * bundle's plan and entries: at its header when its entries may be used as they come, else at its end.
 */
export async function fetchFirstRunBundle(
  client: RemoteClient,
  keys: Promise<readonly string[]>,
  warn: (message: string) => void,
  own: (plan: BundlePlan | undefined, entries: BundleEntries | undefined) => void,
  guessed?: string,
): Promise<FirstBundle | undefined> {
  const early = guessed === undefined ? undefined : fetchRunBundle(client, guessed, warn);
  for (const [i, k] of (await keys).entries()) {
    const fetch = i === 0 && k === guessed ? early! : fetchRunBundle(client, k, warn);
    if (i === 0) {
      const header = await fetch.header;
      if (header?.entries.asItComes) own(header.plan, header.entries);
      else void fetch.done.then((got) => own(got.status === 'found' ? got.plan : undefined, header?.entries));
    }
    const got = await fetch.done;
    if (got.status === 'found') {
      trace(`run bundle ${k.slice(0, 12)}${i === 0 ? '' : " (of HEAD's parent)"}: ${got.entries.size} entries${got.plan ? ', with its plan' : ''}`);
      return { entries: got.entries, own: i === 0, plan: got.plan };
    }
    trace(`no run bundle ${k.slice(0, 12)} to use`);
    if (got.status === 'unusable') return undefined;
  }
  return undefined;
}
