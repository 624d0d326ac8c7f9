/** `kiln run --verbose`: what KILN_TRACE shows, in words: phase timings, and why each task ran instead of being restored. */
import type { MissReason } from '@kiln/core/api/run';
import { describeChange } from './changes.js';

/** Why a task ran, in a line: `2 changes since its last cached run: file changed: src/a.ts, env changed: API_URL`. */
export function missWords(reason: MissReason): string {
  switch (reason.kind) {
    case 'not-cacheable':
      return 'not cacheable (its target has no "cache": true)';
    case 'skip-cache':
      return '--skip-cache';
    case 'never-ran':
      return 'not in the cache, and no earlier cached run here to compare with';
    case 'entry-gone':
      return 'its cache entry (same hash) is gone: evicted, removed or damaged';
    case 'changed': {
      const shown = reason.changes.slice(0, 3).map((c) => describeChange(c).replace(/, because:$/, ''));
      const more = reason.changes.length - shown.length;
      return `${reason.changes.length} change${reason.changes.length === 1 ? '' : 's'} since its last cached run: ${shown.join('; ')}${more > 0 ? `; +${more} more (kiln why-miss)` : ''}`;
    }
  }
}

/** A phase of the engine, as the tracer names it, with its time. */
export function phaseWords(phase: string, ms: number): string {
  return `kiln: ${phase}: ${ms < 10 ? ms.toFixed(1) : Math.round(ms)}ms`;
}
