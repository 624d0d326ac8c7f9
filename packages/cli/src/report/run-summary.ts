/**
 * `kiln run --summarize`: the run summary document (version 1, schema in docs/run.md) and the
 * name of its file under `.kiln/runs/`. Pure: the command writes it.
 */
import type { PlannedTaskInfo } from '@kiln/core/api/run';
import type { Outcome } from './types.js';

export const RUN_SUMMARY_VERSION = 1;

/** A planned task as the engine reports it (`PlannedTaskInfo`), ids as plain strings. */
export type SummaryTaskPlan = Pick<PlannedTaskInfo, 'hash' | 'cacheable' | 'inputs'> & { readonly id: string; readonly dependsOn: readonly string[] };

export interface RunSummaryInput {
  readonly id: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly request: { readonly targets: readonly string[]; readonly projects?: readonly string[]; readonly configuration?: string; readonly args?: readonly string[] };
  readonly exitCode: number;
  readonly plan: readonly SummaryTaskPlan[];
  readonly outcomes: readonly (Outcome & { readonly hash: string; readonly savedMs?: number })[];
}

export function runSummary(input: RunSummaryInput) {
  const planned = new Map(input.plan.map((t) => [t.id, t]));
  const tasks = input.outcomes.map((o) => {
    const p = planned.get(o.id);
    return {
      id: o.id,
      hash: o.hash,
      status: o.status,
      cache: o.cache === 'miss' ? (o.status === 'skipped' ? 'none' : 'miss') : 'hit',
      cacheSource: o.cache === 'miss' ? null : o.cache,
      cacheable: p?.cacheable ?? null,
      durationMs: o.durationMs,
      ...(o.savedMs !== undefined && { savedMs: o.savedMs }),
      exitCode: o.exit ? o.exit.code : o.status === 'success' ? 0 : null,
      signal: o.exit?.signal ?? null,
      dependsOn: p?.dependsOn ?? [],
      inputs: { files: p?.inputs ?? {} },
    };
  });
  const count = (pred: (t: (typeof tasks)[number]) => boolean): number => tasks.filter(pred).length;
  return {
    version: RUN_SUMMARY_VERSION,
    id: input.id,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    durationMs: input.finishedAt.getTime() - input.startedAt.getTime(),
    request: { targets: input.request.targets, projects: input.request.projects ?? null, configuration: input.request.configuration ?? null, args: input.request.args ?? [] },
    exitCode: input.exitCode,
    counts: {
      total: tasks.length,
      success: count((t) => t.status === 'success'),
      failure: count((t) => t.status === 'failure'),
      skipped: count((t) => t.status === 'skipped'),
      interrupted: count((t) => t.status === 'interrupted'),
      cached: count((t) => t.cache === 'hit'),
    },
    tasks,
  };
}

/** `20261206T084512Z-3f9a1c2b.json`: sorts by time, unique by id. */
export function runSummaryFileName(startedAt: Date, id: string): string {
  return `${startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${id}.json`;
}
