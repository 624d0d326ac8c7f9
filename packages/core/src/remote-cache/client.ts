/**
 * The one interface every remote protocol implements (`turbo.ts`, `bazel.ts`): a server that
 * keeps opaque bodies under 64-hex keys. Task entries (`remote.ts`) are one use; anything else
 * kiln shares between machines (the affected state) is another: pick a key that cannot collide
 * with a task hash (e.g. sha256 of "kiln-affected-state:" + commit) and stream the body.
 *
 * Every answer is a value. A body is streamed, never held whole: `found` hands an iterator,
 * and its `verdict()` (after the last chunk) says whether what came is what the server vouched
 * for (turbo's signature, Bazel's content digest). A consumer writes the body somewhere
 * temporary and keeps it only when the verdict is undefined. An iterator that fails midway
 * (truncated body, timeout, reset) throws a `RemoteBodyError`.
 */

/** What is sent: its exact size, and a way to read it (twice when a signature or a digest must be known before the upload starts). */
export interface ArtifactBody {
  readonly size: number;
  open(): AsyncIterable<Uint8Array>;
}

/** What went wrong, in one line that names the server and never holds the token. */
export interface RemoteProblem {
  readonly reason: string;
  /** Trying again this run is pointless (refused credentials, a host that does not resolve): the breaker opens at once. */
  readonly fatal: boolean;
}

export type RemoteRead =
  | {
      readonly status: 'found';
      readonly body: AsyncIterable<Uint8Array>;
      /** The size the server announced, when it did. */
      readonly size?: number;
      /** How long the work took that made the body, when the server says (turbo's `x-artifact-duration`). */
      readonly durationMs?: number;
      /** After `body` is consumed whole: undefined when it verified, else why it must not be used. */
      verdict(): string | undefined;
      /** The verdict checks only that the whole length came (no signature or digest over the whole): a part already come is as good as the whole. */
      readonly verdictIsLength?: boolean;
    }
  | { readonly status: 'miss' }
  | { readonly status: 'failed'; readonly problem: RemoteProblem };

export type RemoteWrite = { readonly status: 'stored' } | { readonly status: 'skipped'; readonly reason: string } | { readonly status: 'failed'; readonly problem: RemoteProblem };

export type RemoteHas = { readonly status: 'hit' } | { readonly status: 'miss' } | { readonly status: 'failed'; readonly problem: RemoteProblem };

export interface RemoteClient {
  /** How messages name the server: its URL without credentials or query. */
  readonly server: string;
  /** Never writes (`put` answers `skipped`). */
  readonly readOnly: boolean;
  has(key: string): Promise<RemoteHas>;
  get(key: string): Promise<RemoteRead>;
  /** `durationMs`: how long the work took that made the body (turbo's `x-artifact-duration`). */
  put(key: string, body: ArtifactBody, durationMs?: number): Promise<RemoteWrite>;
  /** Tells the client a `found` body failed midway (so its circuit breaker counts it). */
  failed?(problem: RemoteProblem): void;
}

/** A body that ended early or stalled: the read fails, nothing of it is kept. */
export class RemoteBodyError extends Error {
  override readonly name = 'RemoteBodyError';
}

/** Whether `key` can name a remote object (both protocols take SHA-256 hex keys). */
export function isRemoteKey(key: string): boolean {
  return /^[0-9a-f]{64}$/.test(key);
}

export type WholeRead = { readonly status: 'whole'; readonly bytes: Buffer } | { readonly status: 'refused'; readonly reason: string };

/**
 * Reads a found body to its end, for things kiln shares that are small enough (a graph state, a
 * run bundle), handing each chunk to `take` as it comes (it may refuse the body: its reason);
 * refused when the body is larger than `max` bytes, ends early, or the transport's verdict turns it
 * down. `what` names it in the reason.
 */
export async function readBody(
  read: Extract<RemoteRead, { status: 'found' }>,
  max: number,
  what: string,
  take: (chunk: Uint8Array) => string | undefined,
): Promise<{ readonly status: 'read' } | { readonly status: 'refused'; readonly reason: string }> {
  if (read.size !== undefined && read.size > max) return { status: 'refused', reason: `${what} is larger than ${max} bytes` };
  let size = 0;
  try {
    for await (const chunk of read.body) {
      size += chunk.length;
      if (size > max) return { status: 'refused', reason: `${what} is larger than ${max} bytes` };
      const refusal = take(chunk);
      if (refusal !== undefined) return { status: 'refused', reason: refusal };
    }
  } catch (e) {
    return { status: 'refused', reason: `${what} did not arrive whole (${(e as Error).message})` };
  }
  const verdict = read.verdict();
  return verdict === undefined ? { status: 'read' } : { status: 'refused', reason: `${what} is refused (${verdict})` };
}

/** A found body read whole into memory (`readBody`). */
export async function readWholeBody(read: Extract<RemoteRead, { status: 'found' }>, max: number, what: string): Promise<WholeRead> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const r = await readBody(read, max, what, (chunk) => {
    chunks.push(chunk);
    size += chunk.length;
    return undefined;
  });
  return r.status === 'read' ? { status: 'whole', bytes: Buffer.concat(chunks, size) } : r;
}
