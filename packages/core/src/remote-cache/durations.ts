/**
 * How long tasks took, read from the remote cache, for `kiln ci plan` to weigh shards on a fresh
 * clone whose local cache knows nothing. Turbo's `x-artifact-duration` when the server sends it
 * (Vercel does); otherwise the duration in the entry's manifest, read from the head of the body
 * (the rest is not downloaded). Bazel's entries are kiln entries too, so the same head is read.
 *
 * A duration only weighs a shard, it never decides a result, so it is taken without the
 * signature check a restore makes (that needs the whole body); the manifest's own checksum and
 * the task hash it names are checked. A failing server warns once through its circuit breaker,
 * and the tasks it could not answer for keep the planner's fallback weight.
 */
import pLimit from 'p-limit';
import { entryHead } from '../cache/index.js';
import { KilnError } from '../model/index.js';
import type { RemoteCacheConfig } from '../workspace/index.js';
import { RemoteBodyError, type RemoteClient } from './client.js';
import { openRemoteClient } from './open.js';
import { remoteCacheSettings } from './settings.js';

/** Requests in flight at once. */
const CONCURRENCY = 8;

/** The durations the remote cache holds for `wanted` (task id → hash), by task id; none when no remote cache is set up. */
export async function remoteDurations(
  config: RemoteCacheConfig | undefined,
  env: Readonly<Record<string, string | undefined>>,
  wanted: ReadonlyMap<string, string>,
  warn: (message: string) => void,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (wanted.size === 0) return out;
  const s = remoteCacheSettings(config, env);
  if (s.status === 'off') return out;
  if (s.status === 'invalid') throw new KilnError(s.diagnostic);
  const client = openRemoteClient(s.settings, warn);
  const limit = pLimit(CONCURRENCY);
  await Promise.all(
    [...wanted].map(([id, hash]) =>
      limit(async () => {
        const ms = await durationOf(client, hash);
        if (ms !== undefined) out.set(id, ms);
      }),
    ),
  );
  return out;
}

/** One entry's duration, or undefined (a miss, a failure, an entry that is not kiln's). */
export async function durationOf(client: RemoteClient, hash: string): Promise<number | undefined> {
  const r = await client.get(hash);
  if (r.status !== 'found') return undefined;
  try {
    if (r.durationMs !== undefined) {
      // The header says it: drop the body after its first chunk (that ends the request).
      const it = r.body[Symbol.asyncIterator]();
      await it.next();
      await it.return?.();
      return r.durationMs;
    }
    const meta = await entryHead(hash, r.body);
    return meta !== undefined && Number.isFinite(meta.durationMs) && meta.durationMs >= 0 ? meta.durationMs : undefined;
  } catch (e) {
    if (!(e instanceof RemoteBodyError)) throw e;
    client.failed?.({ reason: e.message, fatal: false });
    return undefined;
  }
}
