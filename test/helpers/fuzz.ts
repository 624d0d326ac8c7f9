import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './repo.js';

export interface FuzzResult {
  readonly tried: number;
  readonly failures: readonly { input: number; file: string; argv: string[]; problems: string[] }[];
  /** The failing inputs in full, for the assertion message. */
  readonly report: string;
}

/** Runs tools/fuzz/config-fuzz.mjs and prints how many inputs it tried. */
export function runFuzzer(options: { count: number; seed: number }): FuzzResult {
  const r = spawnSync(process.execPath, [join(repoRoot, 'tools/fuzz/config-fuzz.mjs'), '--count', String(options.count), '--seed', String(options.seed)], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  const summary = JSON.parse(lines.at(-1) ?? '{}') as { tried?: number };
  const failures = lines.slice(0, -1).map((l) => JSON.parse(l) as FuzzResult['failures'][number]);
  console.log(`config fuzzer: ${summary.tried ?? 0} inputs tried (seed ${options.seed}), ${failures.length} failed`);
  return { tried: summary.tried ?? 0, failures: failures.map(({ input, file, argv, problems }) => ({ input, file, argv, problems })), report: `${lines.slice(0, -1).join('\n')}\n${r.stderr}` };
}
