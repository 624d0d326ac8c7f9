/** `whyMiss`: how a task's fingerprint differs from the one of its last cached run. */
import { diffFingerprints, type Fingerprint, type FingerprintChange } from '../hash/index.js';
import type { TaskId } from '../model/index.js';
import { planOne } from './hash.js';

export type { FingerprintChange } from '../hash/index.js';

export interface WhyMiss {
  readonly task: string;
  readonly hash: string;
  /** The hash of the last cached run of the task, or null when it never ran cached. */
  readonly previous: string | null;
  /** Whether the current hash is in the local cache (the next run would be a hit). */
  readonly cached: boolean;
  readonly changed: readonly FingerprintChange[];
  /** For each changed dependency task, why it changed (recursively, as far as its last run is known). */
  readonly dependencies: Readonly<Record<string, readonly FingerprintChange[]>>;
}

/**
 * What changed since the last cached run of a task (`kiln why-miss PROJECT:TARGET`): every file
 * added, removed or changed, env values, dependency hashes, target options and external versions.
 * A changed dependency task is explained the same way, from its own last run.
 */
export async function whyMiss(cwd: string, spec: string): Promise<WhyMiss> {
  const { plan, id } = await planOne(cwd, spec);
  const t = plan.tasks.get(id)!;
  const last = await plan.cache.lastRun(id);
  const cached = (await plan.cache.readMeta(t.hash)).status === 'ok';
  if (!last) return { task: id, hash: t.hash, previous: null, cached, changed: [], dependencies: {} };
  const changed = diffFingerprints(last.fingerprint as Fingerprint, t.fingerprint);
  const dependencies: Record<string, FingerprintChange[]> = {};
  const explain = async (changes: readonly FingerprintChange[], depth: number): Promise<void> => {
    for (const c of changes) {
      if (c.kind !== 'dependency' || c.change !== 'changed' || dependencies[c.task] || depth > 50) continue;
      const dep = plan.tasks.get(c.task as TaskId);
      const depLast = await plan.cache.lastRun(c.task);
      if (!dep || !depLast) continue;
      dependencies[c.task] = diffFingerprints(depLast.fingerprint as Fingerprint, dep.fingerprint);
      await explain(dependencies[c.task]!, depth + 1);
    }
  };
  await explain(changed, 0);
  return { task: id, hash: t.hash, previous: last.hash, cached, changed, dependencies };
}
