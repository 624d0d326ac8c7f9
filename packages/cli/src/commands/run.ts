/** `kiln run -t TARGET [-p a,b] [--parallel N] [--skip-cache] [--bail] [--json] [-- ARGS]`: run targets with their dependsOn graph, cached. */
import type { TaskResult } from '@kiln/core/api/run';
import type { ManifestRequest, ManifestTask } from '@kiln/core/api/run-manifest';
import { boolOpt, ExitCode, jsonOption, listOpt, stringOpt, usageError, type Command, type CommandContext, type ParsedArgs } from '../command.js';
import { answered } from '../daemon-route.js';
import { chooseOutputStyle, createView, type OutputStyle } from '../report/index.js';
import { selectedProjects, selectionOf, selectionOptions } from '../selection.js';
import { dryRunArgs, runExtras, type RunExtras } from './run-extras.js';

export const command: Command = {
  name: 'run',
  summary: 'run a target across projects with its dependsOn graph, restoring cached results',
  usage:
    'kiln run -t TARGET [-p a,b] [--affected] [--shard i/N [--plan FILE]] [--parallel N] [--skip-cache] [--bail] [--output-style S] [--dry-run] [--summarize] [--verbose] [--json] [-- ARGS]',
  forwardsArgs: true,
  normalizeArgs: dryRunArgs,
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
    'output-style': { type: 'string', value: 'STYLE', description: "stream|grouped|summary (default: grouped on a terminal, stream elsewhere; Nx's names too)" },
    'output-logs': { type: 'string', value: 'MODE', description: "turbo's spelling: full (stream), new-only (grouped), errors-only|none (summary)" },
    'dry-run': { type: 'boolean', description: 'list the tasks in order with their hashes and whether each would be restored or run; run nothing (alias --dry, --dry=json)' },
    summarize: { type: 'boolean', description: 'write a JSON run summary to .kiln/runs/<time>-<id>.json' },
    verbose: { type: 'boolean', description: 'on stderr: phase timings, and why each task ran or was restored' },
    ...jsonOption,
  },
  details: [
    '--json prints {"tasks":[{"id","hash","status":"success|failure|skipped|interrupted","cache":"local|remote|miss","durationMs","exitCode?","signal?"}]};',
    'task output then goes to stderr.',
    'Cache: nx.json "kiln": {"cacheDirectory": ".kiln/cache", "cacheMaxSize": "10GB", "restoreMode": "link"|"copy"};',
    'only targets with "cache": true are cached. See docs/run.md.',
    'Remote cache (Turborepo API or Bazel HTTP): nx.json "kiln.remoteCache" or KILN_REMOTE_CACHE_URL/TOKEN (or TURBO_API/TOKEN/TEAM); see docs/remote-cache.md.',
    "Arguments after -- go to the requested tasks' commands (and into their hashes): kiln app:test -- --watch.",
    'Exit codes: 0 every task succeeded; 1 a task failed; 2 usage or configuration error; 130 interrupted.',
  ].join('\n'),
  async run(args, ctx) {
    const targets = listOpt(args, 'target');
    if (!targets || targets.length === 0) throw await usageError('missing-target', 'kiln run needs a target: -t TARGET.', 'e.g. kiln run -t build, or kiln PROJECT:TARGET.');
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
    if (sharded) projects = await (await import('./run-shard.js')).shardProjects(args, ctx.cwd, targets, projects, ctx.out);
    else if (boolOpt(args, 'affected')) projects = await affectedProjects(ctx, args, targets, projects, stringOpt(args, 'base'), stringOpt(args, 'head'));

    const configuration = stringOpt(args, 'configuration');
    const forwarded = args.forwarded && args.forwarded.length > 0 ? [...args.forwarded] : undefined;
    let request = { cwd: ctx.cwd, targets, ...(projects && { projects }), ...(configuration && { configuration }), ...(forwarded && { args: forwarded }) };
    const choice = chooseOutputStyle({
      style: stringOpt(args, 'output-style'),
      logs: stringOpt(args, 'output-logs'),
      verbose: boolOpt(args, 'verbose'),
      interactive: ctx.out.interactive,
    });
    if (!choice.ok) throw await usageError('invalid-option', choice.message, choice.hint);
    const extras = await runExtras(args, ctx, json);
    if (boolOpt(args, 'dry-run')) return extras.dryRun({ ...request, skipCache: boolOpt(args, 'skip-cache') });
    // The fast path: when the last identical run's answer still holds (run manifest), replay it
    // without loading the engine. Anything in doubt takes the normal path below.
    const started = performance.now();
    // Warnings of a run bundle fetched before the view exists go to it once it does.
    let warnTo = (line: string): void => ctx.out.warn(line);
    let snapshot, bundle;
    if (!boolOpt(args, 'skip-cache') && !boolOpt(args, 'summarize') && !(projects && projects.length === 0)) {
      const check = await replayIfUnchanged(request, ctx, json, started, choice.style, extras, (line) => warnTo(line));
      if (check.ok) return ExitCode.ok;
      ({ snapshot, bundle } = check);
    }
    // Nx reads a name that names no project as a word within names (`utils` is `@org/utils`): settled now that the fast path missed.
    if (plain && projects) request = { ...request, projects: (projects = (await selectedProjects(selection, ctx))!.slice()) };
    const { run } = await import('@kiln/core/api/run');
    const view = createView({ out: ctx.out, json, style: choice.style, started, ...(extras.verbose && { verbose: extras.verbose }) });
    extras.sayThrough(view.note);
    if (view.events.warning) warnTo = view.events.warning;
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
          ...(bundle && { bundle }),
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
    view.summary(result.tasks, result.savedMs, result.interrupted);
    const code = result.interrupted ? 130 : result.tasks.some((t) => t.status === 'failure') ? ExitCode.failed : ExitCode.ok;
    const summaryFile = extras.summarize ? await extras.summarize(request, view.plan, result.tasks, code) : undefined;
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
        ...(summaryFile && { summaryFile }),
      });
    return code;
  },
};

/**
 * Checks the request's run manifest, and in a fresh clone the plan in its commit's run bundle
 * (`run-from-bundle`); when either holds, prints what a fully cached run prints (logs, a line per
 * task, the summary, the JSON) and says so. Otherwise passes on the work-tree snapshot the check
 * started and the run bundle being fetched, for the normal path.
 */
async function replayIfUnchanged(request: ManifestRequest, ctx: CommandContext, json: boolean, started: number, style: OutputStyle, extras: RunExtras, warn: (line: string) => void) {
  const manifest = await import('@kiln/core/api/run-manifest');
  // The daemon, when one runs, knows without looking; otherwise (or when it says no) the check runs here. Where kiln never ran, there is no daemon to ask.
  const known = manifest.kilnHasRunHere(request.cwd) ? await (await import('./run-daemon.js')).fastPathFromDaemon(request, ctx, extras.note) : undefined;
  const check = known ?? (await manifest.checkFastPath(request));
  extras.fastPath?.(check);
  let tasks: readonly (ManifestTask & { readonly cache?: TaskResult['cache'] })[];
  if (check.ok) tasks = check.tasks;
  else {
    const viaBundle = await (await import('@kiln/core/api/run-from-bundle')).runFromBundle(request, check.snapshot, warn);
    if (!viaBundle.ok) {
      // Said only where a bundle was asked for (a fresh clone with a remote cache and run bundles).
      if (viaBundle.bundle) extras.note?.(`kiln: the run bundle's plan was not used: ${viaBundle.reason}`);
      return { ok: false as const, snapshot: check.snapshot, bundle: viaBundle.bundle };
    }
    extras.note?.("kiln: every task restored through the plan of its commit's run bundle, nothing to plan");
    tasks = viaBundle.tasks;
  }
  const view = createView({ out: ctx.out, json, style, started, ...(extras.verbose && { verbose: extras.verbose }) });
  view.events.planned?.({ root: ctx.cwd, tasks: tasks.map((t) => ({ id: t.id as TaskResult['id'], hash: t.hash, cacheable: true, dependsOn: [], inputs: {} })) });
  const results: TaskResult[] = [];
  for (const t of tasks) {
    if (t.log.length > 0) view.events.output?.(t.id as TaskResult['id'], t.log);
    const r: TaskResult = { id: t.id as TaskResult['id'], hash: t.hash, status: 'success', cache: t.cache ?? 'local', durationMs: 0, savedMs: t.savedMs };
    view.events.end?.(r);
    results.push(r);
  }
  view.stop();
  view.summary(
    results,
    results.reduce((s, t) => s + (t.savedMs ?? 0), 0),
    false,
  );
  if (json) ctx.out.json({ tasks: results.map(({ id, hash, status, cache, durationMs }) => ({ id, hash, status, cache, durationMs })) });
  return { ok: true as const };
}

/** Projects affected by the change (by the affected engine, or the daemon's; with one target, judged by that target's inputs). */
async function affectedProjects(
  ctx: CommandContext,
  args: ParsedArgs,
  targets: string[],
  projects: string[] | undefined,
  base: string | undefined,
  head: string | undefined,
): Promise<string[]> {
  const request = { ...(base && { base }), ...(head && { head }), ...(targets.length === 1 && { target: targets[0]! }) };
  const r = await answered(ctx, args, 'affected', request, async () => (await import('@kiln/core/api/affected')).affected({ cwd: ctx.cwd, ...request }));
  const { projectOfTask } = await import('@kiln/core/api/task-id');
  const names = r.tasks ? r.tasks.tasks.map((t) => projectOfTask(t, r.tasks!.target)!) : [...r.projects];
  return names.filter((p) => projects === undefined || projects.includes(p));
}
