/** Runs the configuration fuzzer (tools/fuzz/config-fuzz.mjs) for a test, without blocking the test worker. */
import { join } from 'node:path';
import { repoRoot, start } from './repo.js';

export interface FuzzResult {
  readonly tried: number;
  readonly failures: readonly { input: number; file: string; argv: string[]; problems: string[] }[];
  /** The failing inputs in full, for the assertion message. */
  readonly report: string;
}

/** Runs tools/fuzz/config-fuzz.mjs and prints how many inputs it tried. */
export async function runFuzzer(options: { count: number; seed: number }): Promise<FuzzResult> {
  const r = await start(process.execPath, [join(repoRoot, 'tools/fuzz/config-fuzz.mjs'), '--count', String(options.count), '--seed', String(options.seed)], { cwd: repoRoot }).done;
  const lines = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'));
  const summary = JSON.parse(lines.at(-1) ?? '{}') as { tried?: number };
  const failures = lines.slice(0, -1).map((l) => JSON.parse(l) as FuzzResult['failures'][number]);
  console.log(`config fuzzer: ${summary.tried ?? 0} inputs tried (seed ${options.seed}), ${failures.length} failed`);
  return {
    tried: summary.tried ?? 0,
    failures: failures.map(({ input, file, argv, problems }) => ({ input, file, argv, problems })),
    report: `${lines.slice(0, -1).join('\n')}\n${r.stderr}`,
  };
}
