/** The slow tier's run of the configuration fuzzer: 400 inputs (see config-fuzz.test.ts). */
import { describe, expect, it } from 'vitest';
import { runnerEnv } from './helpers/env.js';
import { runFuzzer } from './helpers/fuzz.js';

describe('kiln on mutated configuration, at length', () => {
  it('answers 400 seeded inputs with a documented exit code and a clear message', async () => {
    const r = await runFuzzer({ count: 400, seed: Number(runnerEnv.KILN_FUZZ_SEED ?? 7) });
    expect(r.failures, r.report).toEqual([]);
    expect(r.tried).toBe(400);
  }, 600_000);
});
