/**
 * What a person sees of a run, written as events arrive: task output in the chosen style (see
 * `style.ts`), a line per finished task, one line per group of skipped tasks, and on a terminal a
 * live status line redrawn in place; at the end the summary and the failure report. The models it
 * draws from (`progress.ts`, `failures.ts`, `tail.ts`) are pure; this file only writes.
 */
import { fstatSync } from 'node:fs';
import type { MissReason, PlanInfo, RunEvents, TaskResult } from '@kiln/core/api/run';
import type { Output } from '../output.js';
import { failureReport, groupSkipped, skipLines } from './failures.js';
import { Progress, statusLine } from './progress.js';
import type { OutputStyle } from './style.js';
import { LogTails } from './tail.js';
import type { Outcome } from './types.js';

export interface ViewOptions {
  readonly out: Output;
  /** With --json, task output and progress go to stderr. */
  readonly json: boolean;
  readonly style: OutputStyle;
  /** --verbose: words for why each task ran or was restored (`missWords`), and a line per cached task. */
  readonly verbose?: { readonly missWords: (reason: MissReason) => string };
  readonly started?: number;
}

export interface View {
  readonly events: RunEvents;
  /** The plan, once the engine reported it. */
  readonly plan: PlanInfo | undefined;
  note(line: string): void;
  stop(): void;
  /** The summary line, then (when tasks failed) the failure report. */
  summary(tasks: readonly TaskResult[], savedMs: number, interrupted: boolean): void;
}

export function createView(options: ViewOptions): View {
  const { out, json, style } = options;
  const started = options.started ?? performance.now();
  const live = out.interactive;
  // Output is gathered and written once per turn of the event loop: a thousand replayed logs
  // become a few writes instead of thousands. Task output stays bytes from the pipe (or the cache)
  // to stdout: never decoded, so a chunk may cut a UTF-8 character anywhere.
  const pending: { stream: NodeJS.WriteStream; text: string | Buffer }[] = [];
  let flushScheduled = false;
  // stdout and stderr are often one file (`2>&1`): then the queue goes out in one write, in order.
  let oneFile: boolean | undefined;
  let printed = false;
  let stopped = false;
  const flushNow = (): void => {
    flushScheduled = false;
    if (pending.length === 0) return;
    oneFile ??= sameFile(1, 2);
    const joined = (list: typeof pending): Buffer => Buffer.concat(list.map((p) => (typeof p.text === 'string' ? Buffer.from(p.text) : p.text)));
    if (oneFile) process.stdout.write(joined(pending));
    else
      for (const stream of [process.stdout, process.stderr]) {
        const bytes = joined(pending.filter((p) => p.stream === stream));
        if (bytes.length > 0) stream.write(bytes);
      }
    pending.length = 0;
  };
  const queue = (stream: NodeJS.WriteStream, text: string | Buffer): void => {
    printed = true;
    // A live status line is redrawn around each write: keep writes in order, unbuffered.
    if (live || stopped) return void stream.write(text);
    pending.push({ stream, text });
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushNow);
    }
  };
  const outStream = json ? process.stderr : process.stdout;
  const info = (line: string): void => {
    clearStatus();
    queue(process.stderr, `${line}\n`);
    drawStatus();
  };

  const progress = new Progress();
  const tails = new LogTails();
  const outcomes = new Map<string, Outcome>();
  const dependsOn = new Map<string, readonly string[]>();
  // Skipped tasks are named in the plan's (dependency) order, not the order they were skipped in.
  const rank = new Map<string, number>();
  const inPlanOrder = (ids: string[]): string[] => ids.sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
  let plan: PlanInfo | undefined;
  let statusShown = false;
  const clearStatus = (): void => {
    if (statusShown) process.stderr.write('\r\x1b[K');
    statusShown = false;
  };
  const drawStatus = (): void => {
    if (!live) return;
    // Cut to the terminal's width before styling, so no escape sequence is cut in half.
    const text = statusLine(progress, performance.now() - started, (process.stderr.columns || 120) - 3);
    process.stderr.write(`\r\x1b[K${out.style(progress.failed ? 'red' : 'cyan', '●')} ${text}`);
    statusShown = true;
  };
  const timer = live ? setInterval(drawStatus, 100) : undefined;

  // Stream: per task, the chunks of its last line so far (joined once the line ends).
  const partial = new Map<string, Buffer[]>();
  // Grouped and summary: per task, its whole output until it ends (up to HOLD_BYTES; past that, streamed).
  const held = new Map<string, Buffer[]>();
  const heldBytes = new Map<string, number>();
  const overflowed = new Set<string>();
  /** Writes `text` (whole lines, the last one without its newline) with the task's id before each line. */
  const emitPrefixed = (id: string, text: Buffer): void => {
    const prefix = Buffer.from(out.style('dim', `${id} `));
    const parts: Buffer[] = [];
    for (let from = 0; ;) {
      const nl = text.indexOf(10, from);
      parts.push(prefix, text.subarray(from, nl < 0 ? text.length : nl), NEWLINE);
      if (nl < 0) break;
      from = nl + 1;
    }
    clearStatus();
    queue(outStream, Buffer.concat(parts));
    drawStatus();
  };
  const flushPartial = (id: string): void => {
    const rest = partial.get(id);
    if (rest && rest.length > 0) emitPrefixed(id, Buffer.concat(rest));
    partial.delete(id);
  };
  /** Stream style: whole lines go out prefixed as they come, a partial line waits for its end. */
  const streamChunk = (id: string, chunk: Buffer): void => {
    const kept = partial.get(id) ?? [];
    const cut = chunk.lastIndexOf(10);
    if (cut < 0) {
      kept.push(chunk);
      partial.set(id, kept);
      return;
    }
    partial.set(id, cut + 1 < chunk.length ? [chunk.subarray(cut + 1)] : []);
    emitPrefixed(id, kept.length > 0 ? Buffer.concat([...kept, chunk.subarray(0, cut)]) : chunk.subarray(0, cut));
  };
  const writeHeld = (id: string): void => {
    const chunks = held.get(id);
    held.delete(id);
    if (!chunks || chunks.length === 0) return;
    const all = Buffer.concat(chunks);
    clearStatus();
    queue(outStream, all[all.length - 1] === 10 ? all : Buffer.concat([all, NEWLINE]));
    drawStatus();
  };

  // Skipped tasks arrive in a burst right after the task they depend on ended: said in one line per group, once the burst is over.
  let skipped: string[] = [];
  let skipFlushScheduled = false;
  const sayPendingSkips = (): void => {
    skipFlushScheduled = false;
    if (skipped.length === 0) return;
    const groups = groupSkipped(outcomes, inPlanOrder(skipped), (id) => dependsOn.get(id) ?? []);
    skipped = [];
    for (const line of skipLines(groups, outcomes, stopReason)) info(`${out.style('dim', '-')} ${line}`);
  };
  let stopReason: 'bail' | 'interrupted' | undefined;

  const counter = (): string => (live ? '' : out.style('dim', ` [${progress.done}/${progress.total}]`));
  const endLine = (r: TaskResult): string => {
    const time = `(${seconds(r.durationMs)})`;
    if (r.status === 'failure')
      return `${out.style('red', '✖')} ${r.id} failed${r.exit?.signal ? `: killed by ${r.exit.signal}` : r.exit ? ` with exit code ${r.exit.code}` : ''} ${time}${counter()}`;
    if (r.status === 'interrupted') return `${out.style('yellow', '■')} ${r.id} interrupted ${time}${counter()}`;
    if (r.cache !== 'miss') {
      const detail = options.verbose ? `, hash ${r.hash.slice(0, 12)}${r.savedMs ? `, took ${seconds(r.savedMs)} when it ran` : ''}` : '';
      // No counter: the fast path replays hits in another order than the scheduler ends them, and the lines must not differ.
      return `${out.style('green', '✔')} ${r.id} ${out.style('dim', `[${r.cache} cache${detail}]`)}`;
    }
    return `${out.style('green', '✔')} ${r.id} ${time}${counter()}`;
  };

  const events: RunEvents = {
    planned(p) {
      plan = p;
      progress.total = p.tasks.length;
      for (const t of p.tasks) {
        dependsOn.set(t.id, t.dependsOn);
        rank.set(t.id, rank.size);
      }
      drawStatus();
    },
    miss(id, reason) {
      if (options.verbose) info(out.style('dim', `${id} runs: ${options.verbose.missWords(reason)}`));
    },
    start(id) {
      progress.start(id, performance.now());
      if (!live && style === 'stream') info(`> ${id}`);
      drawStatus();
    },
    output(id, chunk) {
      const ran = progress.running.has(id);
      if (ran) tails.add(id, chunk);
      if (style === 'stream' || overflowed.has(id)) return streamChunk(id, chunk);
      // A cached task's replayed log is not shown in the grouped and summary styles.
      if (!ran) return;
      const list = held.get(id) ?? [];
      list.push(chunk);
      held.set(id, list);
      const size = (heldBytes.get(id) ?? 0) + chunk.length;
      heldBytes.set(id, size);
      if (size <= HOLD_BYTES) return;
      // Too long to hold (memory stays bounded whatever a task prints): streamed from here on, prefixed.
      overflowed.add(id);
      held.delete(id);
      heldBytes.delete(id);
      info(out.style('dim', `${id}: more than ${HOLD_BYTES >> 20} MiB of output, streamed as it comes`));
      for (const c of list) streamChunk(id, c);
    },
    end(r) {
      flushPartial(r.id);
      progress.end(r);
      outcomes.set(r.id, r);
      if (r.status === 'interrupted') stopReason = 'interrupted';
      if (r.status === 'skipped') {
        skipped.push(r.id);
        if (!skipFlushScheduled) {
          skipFlushScheduled = true;
          setImmediate(sayPendingSkips);
        }
        return drawStatus();
      }
      sayPendingSkips();
      const cachedHit = r.cache !== 'miss';
      const bad = r.status === 'failure' || r.status === 'interrupted';
      if (bad || style === 'stream' || (style === 'grouped' && !cachedHit) || (cachedHit && options.verbose)) info(endLine(r));
      if (style !== 'stream' && (bad || style === 'grouped')) writeHeld(r.id);
      held.delete(r.id);
      heldBytes.delete(r.id);
      overflowed.delete(r.id);
      if (r.status === 'success') tails.drop(r.id);
      drawStatus();
    },
    warning(message) {
      clearStatus();
      flushNow();
      out.warn(message);
      printed = true;
      drawStatus();
    },
  };
  return {
    events,
    get plan() {
      return plan;
    },
    note: info,
    stop() {
      if (timer) clearInterval(timer);
      for (const id of [...partial.keys()]) flushPartial(id);
      sayPendingSkips();
      clearStatus();
      flushNow();
      stopped = true;
    },
    summary(tasks, savedMs, interrupted) {
      const ran = tasks.filter((t) => t.cache === 'miss' && t.status !== 'skipped').length;
      const restored = tasks.filter((t) => t.cache !== 'miss').length;
      const failures = tasks.filter((t) => t.status === 'failure' || t.status === 'interrupted');
      const count = (s: string): number => tasks.filter((t) => t.status === s).length;
      const remote = tasks.filter((t) => t.cache === 'remote').length;
      const parts = [`${ran} run`, `${restored} restored from cache${remote ? ` (${remote} from the remote cache)` : ''}`, `${count('failure')} failed`];
      if (count('interrupted')) parts.push(`${count('interrupted')} interrupted`);
      if (count('skipped')) parts.push(`${count('skipped')} skipped`);
      const head = out.style('bold', `kiln: ${tasks.length} task${tasks.length === 1 ? '' : 's'}`);
      // A run that printed nothing else (a fully cached run, grouped) is this one line.
      out.info(
        `${printed ? '\n' : ''}${head}: ${parts.join(', ')} in ${seconds(performance.now() - started)}${savedMs > 0 ? ` (time saved: ${seconds(savedMs)})` : ''}${interrupted ? ' (interrupted)' : ''}`,
      );
      if (failures.length === 0) return;
      const groups = groupSkipped(
        outcomes,
        tasks.filter((t) => t.status === 'skipped').map((t) => t.id),
        (id) => dependsOn.get(id) ?? [],
      );
      const report = failureReport(failures.map((f) => ({ outcome: f, skipped: groups.byCause.get(f.id)?.length ?? 0, tail: tails.lines(f.id) })));
      out.info(report.map((l, i) => (i === 0 ? out.style(['red', 'bold'], l) : l)).join('\n'));
    },
  };
}

/** Whether two file descriptors lead to the same file (a pipe, a file, /dev/null). */
function sameFile(a: number, b: number): boolean {
  try {
    const x = fstatSync(a);
    const y = fstatSync(b);
    return x.dev === y.dev && x.ino === y.ino && x.rdev === y.rdev;
  } catch {
    return false;
  }
}

const NEWLINE = Buffer.from('\n');
/** How much of one task's output the grouped and summary styles hold before streaming it instead. */
const HOLD_BYTES = 4 << 20;

export function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}
