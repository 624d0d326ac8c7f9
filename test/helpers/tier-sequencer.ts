/**
 * The order vitest starts test files in (vitest.config.ts `sequence.sequencer`): the slow tier
 * first, then e2e, then unit, each in vitest's own order (longest first when an earlier run left
 * durations, largest first on a fresh checkout, as in CI). With two workers the run ends when the
 * last long file ends: the minutes-long agreement runs are all in the slow tier, so they start at
 * once and the many short files fill the other worker meanwhile, instead of one of them starting
 * last and running alone.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const tiers = ['slow', 'e2e', 'unit'];

export class TierSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const i = tiers.indexOf(file.project.name);
      return i === -1 ? tiers.length : i;
    };
    // Array.prototype.sort is stable: within a tier, vitest's order stays.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
