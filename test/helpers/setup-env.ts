/**
 * Runs in every test worker before its test file (vitest setupFiles): the worker's own environment
 * becomes the test environment (./env.ts), so code tested in-process, and the git it spawns, sees
 * what a spawned kiln sees: no KILN_*, NX_*, TURBO_* or GIT_* from outside, a fixed git identity.
 */
import { testEnv } from './env.js';

const env = testEnv();
for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
Object.assign(process.env, env);
