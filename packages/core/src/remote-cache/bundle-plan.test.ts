import { describe, expect, it } from 'vitest';
import { envDigest } from '../model/index.js';
import { decodeRunBundle, encodeRunBundle } from './bundle.js';
import { wildcardMatches } from '../inputs/env-patterns.js';
import { BUNDLE_PLAN_VERSION, parseBundlePlan, planMismatch, type BundlePlan } from './bundle-plan.js';

const h = (c: string) => c.repeat(64);
const plan: BundlePlan = {
  version: BUNDLE_PLAN_VERSION,
  engine: h('e'),
  roots: h('f'),
  env: { NODE_ENV: envDigest('production'), UNSET: null },
  tasks: [
    ['a:build', h('a')],
    ['b:build', h('b')],
  ],
};
const facts = { engine: h('e'), roots: h('f'), env: { NODE_ENV: 'production' } };

describe("a run bundle's plan", () => {
  it('travels in the header, and a bundle without one has none', () => {
    const entries = [{ hash: h('a'), body: Buffer.from('x') }];
    const withPlan = decodeRunBundle(encodeRunBundle(entries, plan));
    expect(withPlan.ok && withPlan.plan).toEqual(plan);
    const without = decodeRunBundle(encodeRunBundle(entries));
    expect(without.ok && without.plan).toBeUndefined();
  });

  it('holds only for the same engine, root files and env values (an unset variable stays unset)', () => {
    expect(planMismatch(plan, facts)).toBeUndefined();
    expect(planMismatch(plan, { ...facts, engine: h('0') })).toBe('it was made by another kiln');
    expect(planMismatch(plan, { ...facts, roots: h('0') })).toMatch(/^a root file/);
    expect(planMismatch(plan, { ...facts, env: { NODE_ENV: 'development' } })).toBe('env NODE_ENV differs');
    expect(planMismatch(plan, { ...facts, env: { NODE_ENV: 'production', UNSET: '' } })).toBe('env UNSET differs');
  });

  it('holds for a wildcard env input when the same variables match it, whatever `!` patterns took out', () => {
    const names = ['MY_API_*', 'MY_API_KEY', 'MY_API_URL'];
    const made = { MY_API_KEY: 'k', MY_API_URL: 'u', MY_API_SECRET: 's', OTHER: 'o' };
    // What a fingerprint of `MY_API_*` and `!MY_API_SECRET` holds: the pattern's names, and each one's value.
    const env = { 'MY_API_*': envDigest('MY_API_KEY\0MY_API_URL'), MY_API_KEY: envDigest('k'), MY_API_URL: envDigest('u') };
    const wild: BundlePlan = { ...plan, env, envWildcards: wildcardMatches(names, made) };
    expect(wild.envWildcards).toEqual({ 'MY_API_*': ['MY_API_KEY', 'MY_API_SECRET', 'MY_API_URL'] });
    expect(parseBundlePlan(JSON.parse(JSON.stringify(wild)))).toEqual(wild);
    expect(planMismatch(wild, { ...facts, env: { ...made, OTHER: 'changed' } })).toBeUndefined();
    expect(planMismatch(wild, { ...facts, env: { ...made, MY_API_NEW: 'n' } })).toBe('env MY_API_* matches other variables');
    expect(planMismatch(wild, { ...facts, env: { MY_API_KEY: 'k', MY_API_URL: 'u' } })).toBe('env MY_API_* matches other variables');
    expect(planMismatch(wild, { ...facts, env: { ...made, MY_API_URL: 'elsewhere' } })).toBe('env MY_API_URL differs');
    // A plan of a kiln that did not say what its wildcards matched: the run plans.
    expect(planMismatch({ ...wild, envWildcards: undefined }, { ...facts, env: made })).toBe('env MY_API_* matches other variables');
  });

  it('is no plan when any part of it is not what this kiln writes', () => {
    expect(parseBundlePlan(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
    const broken: unknown[] = [
      undefined,
      'plan',
      { ...plan, version: BUNDLE_PLAN_VERSION + 1 },
      { ...plan, engine: 'short' },
      { ...plan, roots: h('F') },
      { ...plan, env: [] },
      { ...plan, env: { A: 1 } },
      { ...plan, envWildcards: [] },
      { ...plan, envWildcards: { 'A_*': 'A_B' } },
      { ...plan, envWildcards: { 'A_*': [1] } },
      { ...plan, tasks: [] },
      { ...plan, tasks: [['a:build', 'not-a-hash']] },
      {
        ...plan,
        tasks: [
          ['a:build', h('a')],
          ['a:build', h('b')],
        ],
      },
      { ...plan, tasks: [['', h('a')]] },
      { ...plan, tasks: [['a:build', h('a'), 'extra']] },
    ];
    for (const b of broken) expect(parseBundlePlan(b)).toBeUndefined();
  });
});
