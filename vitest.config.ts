/**
 * Three tiers of tests (`npm test` runs them all; `npm run test:unit`, `test:e2e`, `test:slow` one):
 * - unit: pure, in-memory tests of the packages, in seconds; no git, no kiln binary, no other tool.
 * - e2e: real temporary git repositories and the built kiln binary (test/*.test.ts), plus the
 *   packages' edge tests that run git or another program (they import node:child_process or the
 *   test kit in test/helpers/, which is what puts them here).
 * - slow: agreement with nx and turbo, the benchmark's smoke run, and the tests that need the OCI
 *   tools from apt (docker-registry, skopeo, umoci).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { TierSequencer } from './test/helpers/tier-sequencer.js';

const slow = [
  // A test file named *-slow.test.ts is a longer run of an e2e test.
  'test/**/*-slow.test.ts',
  'test/nx-agreement.test.ts',
  'test/affected-nx.test.ts',
  'test/run-nx.test.ts',
  'test/bench-smoke.test.ts',
  'test/artifact.test.ts',
  'test/artifact-referrers.test.ts',
  'packages/core/src/release/registry.test.ts',
];

/** The packages' test files that spawn programs or use the repository kit: edge tests, not unit tests. */
function packageEdgeTests(): string[] {
  const found: string[] = [];
  for (const pkg of readdirSync('packages')) {
    const src = join('packages', pkg, 'src');
    let files: string[];
    try {
      files = readdirSync(src, { recursive: true, encoding: 'utf8' });
    } catch {
      continue;
    }
    for (const file of files.filter((f) => f.endsWith('.test.ts')).sort()) {
      const path = join(src, file).split('\\').join('/');
      if (/from '(node:child_process|(\.\.\/)+test\/helpers\/[^']+)'/.test(readFileSync(path, 'utf8'))) found.push(path);
    }
  }
  return found.filter((path) => !slow.includes(path));
}

const edge = packageEdgeTests();
const exclude = ['**/node_modules/**', '**/dist/**', 'tools/bench/.work/**'];

export default defineConfig({
  test: {
    exclude,
    pool: 'forks',
    // vitest's default is one worker per core but one, which on CI's 2 cores is a single worker: the
    // e2e and slow files mostly wait for the kiln, git and nx processes they start, so more workers
    // keep both cores busy. On 2 cores: one worker 1,222 s (a shared machine at load 6 to 13), two
    // 620 s at 170% CPU, three 591 s at 180%. More cores keep vitest's default once it is above three.
    maxWorkers: Math.max(3, availableParallelism() - 1),
    // The slow tier's long runs first, so none of them starts last (./test/helpers/tier-sequencer.ts).
    sequence: { sequencer: TierSequencer },
    // The environment every test file starts with: nothing from outside steers kiln, nx or git.
    setupFiles: ['test/helpers/setup-env.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'tools/**/*.test.ts'],
          exclude: [...exclude, ...edge, ...slow],
          testTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts', ...edge],
          exclude: [...exclude, ...slow],
          // Each test spawns git and kiln a few dozen times; on a loaded 2-core machine that is seconds.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'slow',
          include: slow,
          // Ends the run with one line per missing apt tool (docker-registry, skopeo, umoci).
          globalSetup: ['test/helpers/announce-skips.ts'],
          // nx starts in seconds per command: the tests that need more room say so themselves.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
