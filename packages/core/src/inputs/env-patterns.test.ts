import { describe, expect, it } from 'vitest';
import { expandEnvNames, hasEnvPatterns } from './env-patterns.js';

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
