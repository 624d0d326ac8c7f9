/**
 * A failure at scale, told briefly: skipped tasks grouped under the failed (or interrupted) task
 * they depend on, one line per group instead of one per task; at the end, each failed task again
 * with how it ended and the last lines of its output.
 */
import type { Outcome } from './types.js';

export interface SkipGroups {
  /** Failed or interrupted task → the skipped tasks that depend on it (directly or through other skipped tasks). */
  readonly byCause: ReadonlyMap<string, readonly string[]>;
  /** Skipped tasks that depend on no failure: the run stopped before them (--bail, Ctrl-C). */
  readonly notStarted: readonly string[];
}

/** Groups `skipped` by the failed tasks below them; `dependsOn` is the task graph. */
export function groupSkipped(outcomes: ReadonlyMap<string, Outcome>, skipped: readonly string[], dependsOn: (id: string) => readonly string[]): SkipGroups {
  const causes = new Map<string, readonly string[]>();
  const causesOf = (id: string, seen: Set<string>): readonly string[] => {
    const known = causes.get(id);
    if (known) return known;
    const found = new Set<string>();
    for (const d of dependsOn(id)) {
      if (seen.has(d)) continue;
      seen.add(d);
      const o = outcomes.get(d);
      if (o?.status === 'failure' || o?.status === 'interrupted') found.add(d);
      else if (o?.status === 'skipped') for (const c of causesOf(d, seen)) found.add(c);
    }
    const list = [...found];
    causes.set(id, list);
    return list;
  };
  const byCause = new Map<string, string[]>();
  const notStarted: string[] = [];
  for (const id of skipped) {
    const list = causesOf(id, new Set([id]));
    if (list.length === 0) notStarted.push(id);
    for (const c of list) {
      let group = byCause.get(c);
      if (!group) byCause.set(c, (group = []));
      group.push(id);
    }
  }
  return { byCause, notStarted };
}

/** `42 tasks skipped: they depend on a:build, which failed (b:build, c:build, +40)`. */
export function skipLines(groups: SkipGroups, outcomes: ReadonlyMap<string, Outcome>, stopReason: 'bail' | 'interrupted' | undefined): string[] {
  const lines: string[] = [];
  for (const [cause, ids] of groups.byCause) {
    const how = outcomes.get(cause)?.status === 'interrupted' ? 'was interrupted' : 'failed';
    lines.push(`${count(ids.length, 'task')} skipped: ${ids.length === 1 ? 'it depends' : 'they depend'} on ${cause}, which ${how} (${sample(ids)})`);
  }
  if (groups.notStarted.length > 0)
    lines.push(
      `${count(groups.notStarted.length, 'task')} not started: the run ${stopReason === 'interrupted' ? 'was interrupted' : 'stopped after a failure (--bail)'} (${sample(groups.notStarted)})`,
    );
  return lines;
}

/** How a task ended, in words: `exit code 3`, `killed by SIGKILL`, `interrupted`. */
export function howItEnded(o: Outcome): string {
  if (o.status === 'interrupted') return 'interrupted';
  if (o.exit?.signal) return `killed by ${o.exit.signal}`;
  if (o.exit && o.exit.code !== null) return `exit code ${o.exit.code}`;
  return 'failed';
}

export interface FailureEntry {
  readonly outcome: Outcome;
  /** How many tasks were skipped because of it. */
  readonly skipped: number;
  /** The last lines of its output. */
  readonly tail: readonly string[];
}

/** The block repeated at the end of a run with failures: each failed or interrupted task, how it ended, and its last lines. */
export function failureReport(entries: readonly FailureEntry[]): string[] {
  if (entries.length === 0) return [];
  const lines = [`${entries.length === 1 ? 'Failed task' : `${entries.length} failed tasks`}:`];
  for (const e of entries) {
    const skipped = e.skipped ? `; ${count(e.skipped, 'dependent task')} skipped` : '';
    lines.push(`  ${e.outcome.id}: ${howItEnded(e.outcome)}${skipped}`);
    if (e.tail.length > 0) lines.push(`    last ${e.tail.length === 1 ? 'line' : `${e.tail.length} lines`} of its output:`, ...e.tail.map((l) => `    │ ${l}`));
  }
  return lines;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function sample(ids: readonly string[]): string {
  return ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 2).join(', ')}, +${ids.length - 2} more`;
}
