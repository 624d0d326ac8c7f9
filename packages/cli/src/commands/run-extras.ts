/**
 * `kiln run`'s options beyond running: `--dry-run` (and turbo's `--dry[=json]`), `--summarize`
 * (the run summary file) and `--verbose` (phases and cache decisions in words). Each loads its
 * code only when asked for, so a plain run pays nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { MissReason, PlanInfo, TaskResult } from '@kiln/core/api/run';
import type { FastRunCheck, ManifestRequest } from '@kiln/core/api/run-manifest';
import { boolOpt, ExitCode, type CommandContext, type ParsedArgs } from '../command.js';
import { runSummary, runSummaryFileName } from '../report/index.js';

export interface RunExtras {
  /** Where --verbose lines go: stderr, until a view takes them (so they keep their order among its lines). */
  sayThrough(say: (line: string) => void): void;
  readonly verbose?: { readonly missWords: (reason: MissReason) => string };
  /** With --verbose: says a line (dimmed) where the other verbose lines go. */
  readonly note?: (line: string) => void;
  /** Says (with --verbose) whether the fast path was taken, and why not. */
  readonly fastPath?: (check: FastRunCheck) => void;
  dryRun(request: ManifestRequest & { readonly skipCache: boolean }): Promise<number>;
  /** Writes the run summary; its path, relative to the working directory. */
  readonly summarize?: (request: ManifestRequest, plan: PlanInfo | undefined, tasks: readonly TaskResult[], exitCode: number) => Promise<string | undefined>;
}

/** turbo's `--dry` and `--dry=text|json` as kiln's `--dry-run` (and `--json`); arguments after `--` are left alone. */
export function dryRunArgs(argv: readonly string[]): string[] {
  const cut = argv.indexOf('--');
  const own = cut < 0 ? argv : argv.slice(0, cut);
  const mapped = own.flatMap((a) => (a === '--dry' || a === '--dry=text' ? ['--dry-run'] : a === '--dry=json' ? ['--dry-run', '--json'] : [a]));
  return cut < 0 ? mapped : [...mapped, ...argv.slice(cut)];
}

export async function runExtras(args: ParsedArgs, ctx: CommandContext, json: boolean): Promise<RunExtras> {
  const started = new Date();
  const verbose = boolOpt(args, 'verbose') ? await import('../report/verbose.js') : undefined;
  let say = (line: string): void => ctx.out.info(line);
  if (verbose) {
    const { traceTo } = await import('@kiln/core/api/run-events');
    traceTo((phase, ms) => say(ctx.out.style('dim', verbose.phaseWords(phase, ms))));
  }
  return {
    sayThrough(through) {
      say = through;
    },
    ...(verbose && {
      verbose: { missWords: verbose.missWords },
      note: (line: string) => say(ctx.out.style('dim', line)),
      fastPath: (check: FastRunCheck) =>
        say(
          ctx.out.style(
            'dim',
            check.ok ? 'kiln: fast path taken: the last identical run still holds (run manifest), nothing to plan' : `kiln: fast path not taken: ${check.reason}`,
          ),
        ),
    }),
    async dryRun(request) {
      const { dryRun } = await import('@kiln/core/api/run-dry');
      const { dryRunJson, dryRunLines } = await import('../report/dry-run.js');
      // --affected found nothing: nothing would run (as the run itself says).
      const { tasks } = request.projects?.length === 0 ? { tasks: [] } : await dryRun(request);
      if (json) ctx.out.json(dryRunJson(tasks));
      else for (const line of dryRunLines(tasks)) ctx.out.print(line);
      return ExitCode.ok;
    },
    ...(boolOpt(args, 'summarize') && {
      async summarize(request: ManifestRequest, plan: PlanInfo | undefined, tasks: readonly TaskResult[], exitCode: number) {
        if (!plan) return undefined;
        const id = randomBytes(4).toString('hex');
        const doc = runSummary({ id, startedAt: started, finishedAt: new Date(), request, exitCode, plan: plan.tasks, outcomes: tasks });
        const dir = join(plan.root, '.kiln', 'runs');
        const file = join(dir, runSummaryFileName(started, id));
        try {
          await mkdir(dir, { recursive: true });
          await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
        } catch (e) {
          // A summary is a report: failing to write it never changes the run's result.
          ctx.out.warn(`the run summary could not be written to ${file}: ${(e as Error).message}`);
          return undefined;
        }
        const shown = relative(ctx.cwd, file) || file;
        ctx.out.info(`run summary: ${shown}`);
        return shown;
      },
    }),
  };
}
