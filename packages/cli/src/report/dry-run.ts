/** `kiln run --dry-run`: the plan, one line per task in order, for a person; and its --json shape. */
import type { DryRunTask } from '@kiln/core/api/run-dry';
import { missWords } from './verbose.js';

export function dryRunLines(tasks: readonly DryRunTask[]): string[] {
  const restore = tasks.filter((t) => t.action === 'restore').length;
  const width = Math.max(0, ...tasks.map((t) => t.id.length));
  const lines = [
    `Dry run: ${tasks.length} task${tasks.length === 1 ? '' : 's'} in order, ${restore} would be restored from the cache, ${tasks.length - restore} would run. Nothing runs.`,
  ];
  for (const t of tasks) lines.push(`  ${t.id.padEnd(width)}  ${t.hash.slice(0, 12)}  ${t.action === 'restore' ? 'restore' : `run      ${missWords(t.reason!)}`}`);
  return lines;
}

export function dryRunJson(tasks: readonly DryRunTask[]) {
  return {
    dryRun: true,
    tasks: tasks.map((t) => ({
      id: t.id,
      hash: t.hash,
      action: t.action,
      dependsOn: t.dependsOn,
      ...(t.reason && { reason: t.reason.kind, why: missWords(t.reason), ...(t.reason.kind === 'changed' && { changes: t.reason.changes }) }),
    })),
  };
}
