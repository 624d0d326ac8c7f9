/** The slow tier's run of the configuration fuzzer: 150 inputs (`testLength`; see config-fuzz.test.ts). */
import { describe, expect, it } from 'vitest';
import { runnerEnv, testLength } from './helpers/env.js';
import { runFuzzer } from './helpers/fuzz.js';

describe('kiln on mutated configuration, at length', () => {
  const count = testLength(150);
  it(
    `answers ${count} seeded inputs with a documented exit code and a clear message`,
    async () => {
      const r = await runFuzzer({ count, seed: Number(runnerEnv.KILN_FUZZ_SEED ?? 7) });
      expect(r.failures, r.report).toEqual([]);
      expect(r.tried).toBe(count);
    },
    count * 2_000,
  );
});
