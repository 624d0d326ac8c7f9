/** `kiln watch -t TARGET [-p a,b]`: run a target's affected tasks again on every change (see docs/watch.md). */
import type { TaskResult } from '@kiln/core/api/run';
import { boolOpt, listOpt, stringOpt, usageError, type Command } from '../command.js';

export const command: Command = {
  name: 'watch',
  summary: "run a target's affected tasks again whenever files change, through the cache",
  usage: 'kiln watch -t TARGET [-p a,b] [--parallel N]',
  options: {
    target: { type: 'string', short: 't', value: 'TARGET', description: 'the target to run' },
    projects: { type: 'string', short: 'p', multiple: true, value: 'a,b', description: 'only these projects (default: every project that has the target)' },
    parallel: { type: 'string', value: 'N', description: 'tasks running at once (default: number of cores)' },
  },
  details: [
    'Runs TARGET once, then after each batch of changes (debounced: a branch switch is one batch) the tasks the',
    'changed files affect, judged as kiln affected -t judges them, through the cache. A change to the inputs of a',
    'running task stops it (its whole process tree) and starts it again. nx.json, project.json, package.json and',
    "tsconfig edits are read at once. Ignores .gitignore, .nxignore, node_modules, .kiln and the tasks' outputs.",
    'The workspace is held in memory and each change updates it; a running daemon shares its watcher (--verbose says',
    'how each batch was judged, and why the daemon is not used when it is not).',
    'Exit codes: 130 stopped with Ctrl-C (nothing left running); 2 usage or configuration error.',
  ].join('\n'),
  async run(args, ctx) {
    const target = stringOpt(args, 'target');
    if (target === undefined) throw await usageError('missing-target', 'kiln watch needs a target: -t TARGET.', 'e.g. kiln watch -t build');
    const parallelText = stringOpt(args, 'parallel');
    const parallel = parallelText === undefined ? undefined : Number(parallelText);
    if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1))
      throw await usageError('invalid-option', `--parallel expects a positive whole number, got "${parallelText}".`);
    const projects = listOpt(args, 'projects');
    const [{ watchAndRun }, { buildIdentity }] = await Promise.all([import('@kiln/core/api/watch'), import('../version.js')]);
    const o = ctx.out;
    const controller = new AbortController();
    let status = '';
    // On a terminal the idle status is one line, rewritten; piped, every line stays.
    const line = (text: string): void => {
      if (status && o.interactive) process.stderr.write('\r\x1b[2K');
      status = '';
      o.info(text);
    };
    const onSigint = (): void => controller.abort();
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    const results: TaskResult[] = [];
    try {
      await watchAndRun({
        cwd: ctx.cwd,
        target,
        version: buildIdentity(),
        env: ctx.env,
        ...(projects && { projects }),
        ...(parallel !== undefined && { parallel }),
        signal: controller.signal,
        events: {
          ready: (folders) => line(folders === 'daemon' ? `watching through the daemon for ${target}` : `watching ${folders} folders for ${target}`),
          changed: (paths, reload) =>
            line(
              `${o.style('cyan', 'changed')} ${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ` and ${paths.length - 3} more` : ''}${reload ? ' (configuration: reloading)' : ''}`,
            ),
          running: (names, restart) => {
            results.length = 0;
            line(
              `${o.style('bold', restart ? 'restarting' : 'running')} ${target}${names.length > 0 ? ` for ${names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ')}` : ' for every project'}`,
            );
          },
          start: (id) => line(`${o.style('dim', 'start')} ${id}`),
          output: (_id, chunk) => void process.stderr.write(chunk),
          end: (r) => results.push(r),
          warning: (m) => o.warn(m),
          finished: (r, ms) => {
            const failed = r.tasks.filter((t) => t.status === 'failure');
            const cached = r.tasks.filter((t) => t.cache !== 'miss').length;
            const summary = `${r.tasks.length} task${r.tasks.length === 1 ? '' : 's'} (${cached} from the cache) in ${(ms / 1000).toFixed(1)}s`;
            line(failed.length > 0 ? o.style('red', `✗ ${failed.map((t) => t.id).join(', ')} failed; ${summary}`) : o.style('green', `✓ ${summary}`));
          },
          idle: () => {
            const text = o.style('dim', `idle: watching for changes (Ctrl-C to stop)`);
            if (o.interactive) {
              process.stderr.write(`\r\x1b[2K${text}`);
              status = text;
            } else line(text);
          },
          trouble: (m) => o.warn(m),
          ...(boolOpt(args, 'verbose') && {
            mode: (m: string) => line(o.style('dim', m)),
            // One JSON line per batch: what it affects, and whether memory answered (the agreement test reads these).
            judged: (paths: readonly string[], projects: readonly string[] | 'all', from: string) => line(o.style('dim', `judged ${JSON.stringify({ from, paths, projects })}`)),
          }),
        },
      });
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
    if (status && o.interactive) process.stderr.write('\n');
    o.info('stopped');
    return 130;
  },
};
