/** `kiln run -t TARGET [-p a,b] [--parallel N] [--skip-cache] [--bail] [--json]`: run targets with their dependsOn graph, cached. */
import { fstatSync } from 'node:fs';
import type { RunEvents, TaskResult } from '@kiln/core/api/run';
import type { ManifestRequest } from '@kiln/core/api/run-manifest';
import { boolOpt, ExitCode, jsonOption, listOpt, stringOpt, usageError, type Command, type CommandContext } from '../command.js';
import type { Output } from '../output.js';
import { selectedProjects, selectionOf, selectionOptions } from '../selection.js';

export const command: Command = {
  name: 'run',
  summary: 'run a target across projects with its dependsOn graph, restoring cached results',
  usage: 'kiln run -t TARGET [-p a,b] [--affected] [--shard i/N [--plan FILE]] [--parallel N] [--skip-cache] [--bail] [--json]',
  options: {
    target: { type: 'string', short: 't', multiple: true, value: 'TARGET', description: 'target(s) to run (comma-separated or repeated)' },
    ...selectionOptions('only these projects (default: every project that has the target)'),
    affected: { type: 'boolean', description: 'only projects affected by changes since the merge-base with main' },
    base: { type: 'string', value: 'REF', description: 'with --affected: compare against REF' },
    head: { type: 'string', value: 'REF', description: 'with --affected: up to REF (default: the working tree)' },
    parallel: { type: 'string', value: 'N', description: 'tasks running at once (default: number of cores)' },
    'skip-cache': { type: 'boolean', description: 'run every task even when its result is cached (results are still stored)' },
    bail: { type: 'boolean', description: 'stop starting tasks after the first failure' },
    configuration: { type: 'string', short: 'c', value: 'NAME', description: 'the target configuration to use' },
    shard: { type: 'string', value: 'i/N', description: 'run only the i-th of N CI shards (see kiln ci plan, docs/ci.md)' },
    plan: { type: 'string', value: 'FILE', description: 'with --shard: take the shard from this kiln ci plan --json output' },
    ...jsonOption,
  },
  details: [
    '--json prints {"tasks":[{"id","hash","status":"success|failure|skipped","cache":"local|remote|miss","durationMs","exitCode?","signal?"}]};',
    'task output then goes to stderr.',
    'Cache: nx.json "kiln": {"cacheDirectory": ".kiln/cache", "cacheMaxSize": "10GB", "restoreMode": "link"|"copy"};',
    'only targets with "cache": true are cached. See docs/run.md.',
    'Remote cache (Turborepo API or Bazel HTTP): nx.json "kiln.remoteCache" or KILN_REMOTE_CACHE_URL/TOKEN (or TURBO_API/TOKEN/TEAM); see docs/remote-cache.md.',
    'Exit codes: 0 every task succeeded; 1 a task failed; 2 usage or configuration error; 130 interrupted.',
  ].join('\n'),
  async run(args, ctx) {
    const targets = listOpt(args, 'target');
    if (!targets || targets.length === 0)
      throw await usageError('missing-target', 'kiln run needs a target: -t TARGET.', 'e.g. kiln run -t build, or kiln PROJECT:TARGET.');
    const parallelText = stringOpt(args, 'parallel');
    const parallel = parallelText === undefined ? undefined : Number(parallelText);
    if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1))
      throw await usageError('invalid-option', `--parallel expects a positive whole number, got "${parallelText}".`);
    const json = boolOpt(args, 'json');
    const selection = selectionOf(args);
    const sharded = stringOpt(args, 'shard') !== undefined || stringOpt(args, 'plan') !== undefined;
    // Plain names (and none) go straight to the fast path; patterns are read against the workspace first.
    const plain = !boolOpt(args, 'affected') && !sharded && (Object.keys(selection).length === 0 || (await import('@kiln/core/select')).isPlainNames(selection));
    let projects = plain ? selection.projects?.slice() : (await selectedProjects(selection, ctx))?.slice();
    if (sharded)
      projects = await (await import('./run-shard.js')).shardProjects(args, ctx.cwd, targets, projects, ctx.out);
    else if (boolOpt(args, 'affected')) projects = await affectedProjects(ctx.cwd, targets, projects, stringOpt(args, 'base'), stringOpt(args, 'head'));

    const configuration = stringOpt(args, 'configuration');
    let request = { cwd: ctx.cwd, targets, ...(projects && { projects }), ...(configuration && { configuration }) };
    // The fast path: when the last identical run's answer still holds (run manifest), replay it
    // without loading the engine. Anything in doubt takes the normal path below.
    const started = performance.now();
    let snapshot;
    if (!boolOpt(args, 'skip-cache') && !(projects && projects.length === 0)) {
      const check = await replayIfUnchanged(request, ctx, json, started);
      if (check.ok) return ExitCode.ok;
      snapshot = check.snapshot;
    }
    // Nx reads a name that names no project as a word within names (`utils` is `@org/utils`): settled now that the fast path missed.
    if (plain && projects) request = { ...request, projects: (projects = (await selectedProjects(selection, ctx))!.slice()) };
    const { run } = await import('@kiln/core/api/run');
    const view = createView(ctx.out, json, started);
    const controller = new AbortController();
    let interrupts = 0;
    const onSigint = (): void => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      view.note('interrupted: stopping running tasks…');
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    let result;
    try {
      if (projects && projects.length === 0) {
        result = { tasks: [], interrupted: false, savedMs: 0 };
      } else {
        result = await run({
          ...request,
          ...(snapshot && { snapshot }),
          ...(parallel !== undefined && { parallel }),
          bail: boolOpt(args, 'bail'),
          skipCache: boolOpt(args, 'skip-cache'),
          signal: controller.signal,
          events: view.events,
        });
      }
    } finally {
      view.stop();
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
    view.summary(result.tasks, result.savedMs);
    if (json)
      ctx.out.json({
        tasks: result.tasks.map(({ id, hash, status, cache, durationMs, exit }) => ({
          id,
          hash,
          status,
          cache,
          durationMs,
          ...(exit && { exitCode: exit.code }),
          ...(exit?.signal && { signal: exit.signal }),
        })),
      });
    if (result.interrupted) return 130;
    return result.tasks.some((t) => t.status === 'failure') ? ExitCode.failed : ExitCode.ok;
  },
};

/**
 * Checks the request's run manifest; when it holds, prints what a fully cached run prints (logs,
 * a line per task, the summary, the JSON) and says so. Otherwise passes on the work-tree snapshot
 * the check started, for the normal path.
 */
async function replayIfUnchanged(request: ManifestRequest, ctx: CommandContext, json: boolean, started: number) {
  const { checkFastPath } = await import('@kiln/core/api/run-manifest');
  const check = await checkFastPath(request);
  if (!check.ok) return check;
  const view = createView(ctx.out, json, started);
  const tasks: TaskResult[] = [];
  for (const t of check.tasks) {
    if (t.log.length > 0) view.events.output?.(t.id as TaskResult['id'], t.log);
    const r: TaskResult = { id: t.id as TaskResult['id'], hash: t.hash, status: 'success', cache: 'local', durationMs: 0, savedMs: t.savedMs };
    view.events.end?.(r);
    tasks.push(r);
  }
  view.stop();
  view.summary(
    tasks,
    tasks.reduce((s, t) => s + (t.savedMs ?? 0), 0),
  );
  if (json) ctx.out.json({ tasks: tasks.map(({ id, hash, status, cache, durationMs }) => ({ id, hash, status, cache, durationMs })) });
  return check;
}

/** Projects affected by the change (by the affected engine; with one target, judged by that target's inputs). */
async function affectedProjects(cwd: string, targets: string[], projects: string[] | undefined, base: string | undefined, head: string | undefined): Promise<string[]> {
  const { affected } = await import('@kiln/core/api/affected');
  const { projectOfTask } = await import('@kiln/core/api/task-id');
  const r = await affected({ cwd, ...(base && { base }), ...(head && { head }), ...(targets.length === 1 && { target: targets[0]! }) });
  const names = r.tasks ? r.tasks.tasks.map((t) => projectOfTask(t, r.tasks!.target)!) : [...r.projects];
  return names.filter((p) => projects === undefined || projects.includes(p));
}

interface View {
  readonly events: RunEvents;
  note(line: string): void;
  stop(): void;
  summary(tasks: readonly TaskResult[], savedMs: number): void;
}

/**
 * What a person sees: task output prefixed with the task's id (on stdout, or stderr with --json),
 * a line per finished task, and on a terminal a live status line (running tasks, counts, elapsed).
 */
function createView(out: Output, json: boolean, started = performance.now()): View {
  const live = out.interactive;
  // Output is gathered and written once per turn of the event loop: a thousand replayed logs
  // become a few writes instead of thousands.
  // Task output stays bytes from the pipe (or the cache) to stdout: never decoded, so a chunk may
  // cut a UTF-8 character anywhere, and a huge log costs no strings (twice its size in UTF-16).
  const pending: { stream: NodeJS.WriteStream; text: string | Buffer }[] = [];
  let flushScheduled = false;
  // stdout and stderr are often one file (`2>&1`): then the queue goes out in one write, in order;
  // otherwise in one write per stream (their relative order is nobody's to see).
  let oneFile: boolean | undefined;
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
    if (live) {
      // A live status line is redrawn around each write: keep writes in order, unbuffered.
      stream.write(text);
      return;
    }
    pending.push({ stream, text });
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushNow);
    }
  };
  const write = (s: Buffer): void => queue(json ? process.stderr : process.stdout, s);
  const info = (line: string): void => queue(process.stderr, `${line}\n`);
  // Per task, the chunks of its last line so far (joined once the line ends).
  const partial = new Map<string, Buffer[]>();
  const running = new Set<string>();
  let done = 0;
  let failed = 0;
  let cached = 0;
  let statusShown = false;
  const clearStatus = (): void => {
    if (statusShown) process.stderr.write('\r\x1b[K');
    statusShown = false;
  };
  const drawStatus = (): void => {
    if (!live) return;
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    const names = [...running].slice(0, 3).join(', ') + (running.size > 3 ? `, +${running.size - 3}` : '');
    const text = `${done} done (${cached} cached${failed ? `, ${failed} failed` : ''}) · ${running.size} running · ${secs}s${names ? `  ${names}` : ''}`;
    // Cut to the terminal's width before styling, so no escape sequence is cut in half.
    const width = (process.stderr.columns || 120) - 3;
    process.stderr.write(`\r\x1b[K${out.style(failed ? 'red' : 'cyan', '●')} ${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    statusShown = true;
  };
  const timer = live ? setInterval(drawStatus, 100) : undefined;
  /** Writes `text` (whole lines, the last one without its newline) with the task's id before each line. */
  const emit = (id: string, text: Buffer): void => {
    const prefix = Buffer.from(out.style('dim', `${id} `));
    const parts: Buffer[] = [];
    for (let from = 0; ;) {
      const nl = text.indexOf(10, from);
      parts.push(prefix, text.subarray(from, nl < 0 ? text.length : nl), NEWLINE);
      if (nl < 0) break;
      from = nl + 1;
    }
    clearStatus();
    write(Buffer.concat(parts));
    drawStatus();
  };
  const flush = (id: string): void => {
    const rest = partial.get(id);
    if (rest && rest.length > 0) emit(id, Buffer.concat(rest));
    partial.delete(id);
  };
  const events: RunEvents = {
    start(id) {
      running.add(id);
      if (!live) info(`> ${id}`);
      drawStatus();
    },
    output(id, chunk) {
      const held = partial.get(id) ?? [];
      const cut = chunk.lastIndexOf(10);
      if (cut < 0) {
        held.push(chunk);
        partial.set(id, held);
        return;
      }
      partial.set(id, cut + 1 < chunk.length ? [chunk.subarray(cut + 1)] : []);
      emit(id, held.length > 0 ? Buffer.concat([...held, chunk.subarray(0, cut)]) : chunk.subarray(0, cut));
    },
    end(r) {
      flush(r.id);
      running.delete(r.id);
      done++;
      if (r.status === 'failure') failed++;
      if (r.cache !== 'miss') cached++;
      clearStatus();
      const line =
        r.status === 'skipped'
          ? `${out.style('dim', '-')} ${r.id} skipped (a dependency failed or the run stopped)`
          : r.status === 'failure'
            ? `${out.style('red', '✖')} ${r.id} failed${r.exit?.signal ? `: killed by ${r.exit.signal}` : r.exit ? ` with exit code ${r.exit.code}` : ''} (${seconds(r.durationMs)})`
            : r.cache !== 'miss'
              ? `${out.style('green', '✔')} ${r.id} ${out.style('dim', `[${r.cache} cache]`)}`
              : `${out.style('green', '✔')} ${r.id} (${seconds(r.durationMs)})`;
      info(line);
      drawStatus();
    },
    warning(message) {
      clearStatus();
      flushNow();
      out.warn(message);
      drawStatus();
    },
  };
  return {
    events,
    note(line) {
      clearStatus();
      out.info(line);
    },
    stop() {
      if (timer) clearInterval(timer);
      for (const id of [...partial.keys()]) flush(id);
      clearStatus();
      flushNow();
    },
    summary(tasks, savedMs) {
      const ran = tasks.filter((t) => t.cache === 'miss' && t.status !== 'skipped').length;
      const restored = tasks.filter((t) => t.cache !== 'miss').length;
      const failures = tasks.filter((t) => t.status === 'failure');
      const skipped = tasks.filter((t) => t.status === 'skipped').length;
      const total = seconds(performance.now() - started);
      const remote = tasks.filter((t) => t.cache === 'remote').length;
      const parts = [`${ran} run`, `${restored} restored from cache${remote ? ` (${remote} from the remote cache)` : ''}`, `${failures.length} failed`];
      if (skipped) parts.push(`${skipped} skipped`);
      out.info(
        `\n${out.style('bold', `kiln: ${tasks.length} task${tasks.length === 1 ? '' : 's'}`)}: ${parts.join(', ')} in ${total}` +
          (savedMs > 0 ? ` (time saved: ${seconds(savedMs)})` : ''),
      );
      if (failures.length) out.info(`${out.style('red', 'failed:')} ${failures.map((f) => f.id).join(', ')}`);
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

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}
