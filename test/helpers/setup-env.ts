/**
 * Runs in every test worker before its test file (vitest setupFiles).
 * - The worker's own environment becomes the test environment (./env.ts), so code tested
 *   in-process, and the git it spawns, sees what a spawned kiln sees: no KILN_*, NX_*, TURBO_* or
 *   GIT_* from outside, a fixed git identity.
 * - After each test the worker's event loop goes round once. Tests that run kiln synchronously
 *   hold it for seconds each, and vitest does not yield between tests: on a loaded machine a file
 *   of them left vitest's calls unanswered for over a minute, which fails the run ("Timeout
 *   calling onTaskUpdate") though every test passed.
 * - After the file, what its tests left behind goes: programs still running, temporary
 *   directories, the HOME. (Workers are stopped without an 'exit' event to clean up in.)
 */
import { afterAll, afterEach } from 'vitest';
import { removeTestHome, testEnv } from './env.js';
import { cleanUpAfterFile } from './repo.js';

const env = testEnv();
for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
Object.assign(process.env, env);

/** Resolves after the event loop has been through its poll phase, where vitest's answers are read. */
const nextLoop = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
afterEach(nextLoop);

afterAll(() => {
  cleanUpAfterFile();
  removeTestHome();
});
