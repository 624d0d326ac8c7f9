import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './repo.js';

export interface FuzzResult {
  readonly tried: number;
  readonly failures: readonly { input: number; file: string; argv: string[]; problems: string[] }[];
  /** The failing inputs in full, for the assertion message. */
  readonly report: string;
}

/**
 * Runs tools/fuzz/config-fuzz.mjs and prints how many inputs it tried. Asynchronous, so that the
 * test worker keeps answering vitest while 2,000 inputs run.
 */
export async function runFuzzer(options: { count: number; seed: number }): Promise<FuzzResult> {
  const child = spawn(process.execPath, [join(repoRoot, 'tools/fuzz/config-fuzz.mjs'), '--count', String(options.count), '--seed', String(options.seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  await new Promise((resolve) => child.on('close', resolve));
  const lines = stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  const summary = JSON.parse(lines.at(-1) ?? '{}') as { tried?: number };
  const failures = lines.slice(0, -1).map((l) => JSON.parse(l) as FuzzResult['failures'][number]);
  console.log(`config fuzzer: ${summary.tried ?? 0} inputs tried (seed ${options.seed}), ${failures.length} failed`);
  return { tried: summary.tried ?? 0, failures: failures.map(({ input, file, argv, problems }) => ({ input, file, argv, problems })), report: `${lines.slice(0, -1).join('\n')}\n${stderr}` };
}
