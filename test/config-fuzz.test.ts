/**
 * The configuration fuzzer (tools/fuzz/config-fuzz.mjs): seeded, mutated nx.json, project.json,
 * package.json, CODEOWNERS and lockfiles fed to projects, graph, affected, run and owners. No input
 * may give exit 70, a stack trace, a run over 10 s, or (with --json) anything but one JSON document.
 * 100 inputs here; the slow tier runs 250 more (config-fuzz-slow.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { runnerEnv } from './helpers/env.js';
import { runFuzzer } from './helpers/fuzz.js';

describe('kiln on mutated configuration', () => {
  it('answers 100 seeded inputs with a documented exit code and a clear message', async () => {
    const r = await runFuzzer({ count: 100, seed: Number(runnerEnv.KILN_FUZZ_SEED ?? 20261206) });
    expect(r.failures, r.report).toEqual([]);
    expect(r.tried).toBe(100);
  }, 180_000);
});
