/**
 * The one environment for every program the tests start (git, kiln, nx, turbo): the test runner's
 * own, minus whatever would steer those programs from outside the test (KILN_*, NX_*, TURBO_*,
 * GIT_*, npm_*, DOCKER_CONFIG), plus a fixed git identity and clock, no system or global git
 * config, and an empty HOME of its own. A developer's KILN_TRACE or a CI's GIT_DIR then changes
 * nothing; a test that wants one of these variables passes it explicitly.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const kilnBin = join(repoRoot, 'packages/cli/bin/kiln.js');

/**
 * The test runner's environment as it was before ./setup-env.ts cleaned the worker's: for a test's
 * own settings (e.g. KILN_FUZZ_SEED), which no program it starts may see.
 */
export const runnerEnv: Readonly<NodeJS.ProcessEnv> = Object.freeze({ ...process.env });

/**
 * `steps`, times `KILN_TEST_LENGTH` from the runner's environment (default 1): the length of a
 * seeded random run. `npm test` runs each at the length that keeps the suite inside CI's time;
 * `KILN_TEST_LENGTH=5 npm run test:slow` goes five times as far, for rarer cases.
 */
export function testLength(steps: number): number {
  const factor = Number(runnerEnv.KILN_TEST_LENGTH ?? 1);
  return Number.isFinite(factor) && factor > 0 ? Math.max(1, Math.round(steps * factor)) : steps;
}

/** Removed from the inherited environment. */
const steering = /^(KILN|NX|TURBO|GIT|npm)_|^(INIT_CWD|DOCKER_CONFIG)$/i;

/** The first commit time of every test repository (2023-11-14, UTC); see `gitClock`. */
export const epoch = 1_700_000_000;

let home: string | undefined;
/** An empty HOME for this test file, made on first use. */
function testHome(): string {
  home ??= realpathSync(mkdtempSync(join(tmpdir(), 'kiln-home-')));
  return home;
}

/** Removes the test file's HOME (after the file's tests: ./setup-env.ts). */
export function removeTestHome(): void {
  if (home !== undefined) rmSync(home, { recursive: true, force: true });
  home = undefined;
}

/**
 * The environment for a child process. `time` (seconds since the epoch) is the author and
 * committer date of any commit it makes; `extra` is applied last.
 */
export function testEnv(extra: NodeJS.ProcessEnv = {}, time = epoch): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!steering.test(key)) env[key] = value;
  const date = `${time} +0000`;
  return {
    ...env,
    HOME: testHome(),
    XDG_CONFIG_HOME: join(testHome(), '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'kiln test',
    GIT_AUTHOR_EMAIL: 'test@kiln.invalid',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: 'kiln test',
    GIT_COMMITTER_EMAIL: 'test@kiln.invalid',
    GIT_COMMITTER_DATE: date,
    // Plain, deterministic output from kiln and the tools it is compared with.
    CI: '1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    ...extra,
  };
}

/** A clock for one repository: each call returns the next second, so commits are ordered and reproducible. */
export function gitClock(): () => number {
  let time = epoch;
  return () => time++;
}
