import { describe, expect, it } from 'vitest';
import { AT_HAND_WORKERS_MIN_BYTES, atHandThreads } from './restore-pool.js';

describe('atHandThreads', () => {
  it('gives bodies at hand no worker below the threshold, else one per core up to four', () => {
    expect(atHandThreads(0, 2)).toBe(0);
    expect(atHandThreads(AT_HAND_WORKERS_MIN_BYTES - 1, 16)).toBe(0);
    expect(atHandThreads(AT_HAND_WORKERS_MIN_BYTES, 1)).toBe(1);
    expect(atHandThreads(AT_HAND_WORKERS_MIN_BYTES, 2)).toBe(2);
    expect(atHandThreads(64 * 1024 * 1024, 16)).toBe(4);
  });
});
