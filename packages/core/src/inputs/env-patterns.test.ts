import { describe, expect, it } from 'vitest';
import { envDigest } from '../model/digest.js';
import { changedEnv, expandEnvNames, hasEnvPatterns, wildcardMatches } from './env-patterns.js';

describe('env patterns (turbo.json env, globalEnv)', () => {
  const env = { MY_API_URL: 'u', MY_API_KEY: 'k', MY_APIX: 'x', OTHER: 'o', UNSET: undefined };

  it('plain names stay as they are, set or not, and sorted', () => {
    expect(hasEnvPatterns(['B', 'A'])).toBe(false);
    expect(expandEnvNames(['B', 'A', 'B', 'MISSING'], env)).toEqual(['A', 'B', 'MISSING']);
  });

  it('a wildcard names the set variables it matches; `!` takes names out again, wherever it is written', () => {
    expect(expandEnvNames(['MY_API_*'], env)).toEqual(['MY_API_KEY', 'MY_API_URL']);
    expect(expandEnvNames(['!MY_API_URL', 'MY_API*'], env)).toEqual(['MY_APIX', 'MY_API_KEY']);
    expect(expandEnvNames(['*', '!MY_*'], env)).toEqual(['OTHER']);
    expect(expandEnvNames(['UNSET*'], env)).toEqual([]);
  });

  it('regex characters in a name are literal', () => {
    expect(expandEnvNames(['A.B*'], { 'A.BC': '1', AXBC: '2' })).toEqual(['A.BC']);
  });
});

describe('a record of env digests, checked against another env', () => {
  const env = { API_KEY: 'k', API_URL: 'u', API_SECRET: 's', HOME: '/h' };
  // As a fingerprint of `API_*`, `!API_SECRET` and `MODE` keeps them.
  const recorded = { 'API_*': envDigest('API_KEY\0API_URL'), API_KEY: envDigest('k'), API_URL: envDigest('u'), MODE: null };
  const matched = wildcardMatches(Object.keys(recorded), env);

  it('knows what each wildcard matched, before `!` patterns, and nothing for plain names', () => {
    expect(matched).toEqual({ 'API_*': ['API_KEY', 'API_SECRET', 'API_URL'] });
    expect(wildcardMatches(['!API_SECRET', 'MODE'], env)).toEqual({});
  });

  it("holds while every value and every wildcard's variables are the same", () => {
    expect(changedEnv(recorded, matched, env)).toBeUndefined();
    expect(changedEnv(recorded, matched, { ...env, HOME: '/elsewhere', API_SECRET: 'another' })).toBeUndefined();
    expect(changedEnv(recorded, matched, { ...env, API_URL: 'v' })).toEqual({ name: 'API_URL', wildcard: false });
    expect(changedEnv(recorded, matched, { ...env, MODE: '' })).toEqual({ name: 'MODE', wildcard: false });
    expect(changedEnv(recorded, matched, { ...env, API_NEW: 'n' })).toEqual({ name: 'API_*', wildcard: true });
    expect(changedEnv(recorded, matched, { API_KEY: 'k', API_URL: 'u' })).toEqual({ name: 'API_*', wildcard: true });
    // Without what it matched (written by an older kiln), a wildcard cannot be vouched for.
    expect(changedEnv(recorded, undefined, env)).toEqual({ name: 'API_*', wildcard: true });
  });
});
