/** `kiln affected`: the projects (and with -t, the tasks) a change touches, each with why. */
// The operation's own entry point: loading all of `@kiln/core/api` would cost more than the answer.
import { affected, describeReason, type AffectedResult } from '@kiln/core/api/affected';
import { boolOpt, ExitCode, jsonOption, listOpt, stringOpt, type Command } from '../command.js';
import { projectOfTask } from '@kiln/core/model';
import { answered } from '../daemon-route.js';
import { selectedProjects, selectionOf, selectionOptions } from '../selection.js';

export const command: Command = {
  name: 'affected',
  summary: 'list the projects (or tasks) a change affects, with reasons',
  usage: 'kiln affected [--base REF] [--head REF] [-t TARGET] [--files a,b] [--explain] [--json] [--fail-open]',
  options: {
    base: { type: 'string', value: 'REF', description: 'compare against the merge-base with REF (default: KILN_BASE, nx.json defaultBase, main)' },
    head: { type: 'string', value: 'REF', description: 'compare up to REF (default: the working tree, uncommitted and untracked files included)' },
    target: { type: 'string', short: 't', value: 'TARGET', description: "list affected tasks of TARGET, judged by each task's inputs" },
    files: { type: 'string', multiple: true, value: 'a,b', description: 'take these changed files (workspace-relative) instead of asking git' },
    explain: { type: 'boolean', description: 'print the chain that explains each affected project' },
    ...selectionOptions('of the affected, only these projects'),
    'fail-open': { type: 'boolean', description: 'when git cannot answer (unknown base, shallow clone, no repository), treat everything as affected' },
    ...jsonOption,
  },
  details: [
    '--json prints {"base","head","projects":[...],"reasons":{name:[{"kind":"file"|"dependency"|"global"|"lockfile",...}]}};',
    'with -t it adds "target", "tasks" and "taskReasons"; "owners" maps each affected project to its owners;',
    '"diagnostics" lists warnings about files kiln could not read ({code,severity,message,file,line,column,hint}).',
    'Exit codes: 0 listed; 2 usage or configuration error (unknown base ref, shallow clone without the merge-base, not a git repository).',
  ].join('\n'),
  async run(args, ctx) {
    const files = listOpt(args, 'files');
    const target = stringOpt(args, 'target');
    const selected = await selectedProjects(selectionOf(args), ctx);
    const request = {
      ...(stringOpt(args, 'base') !== undefined && { base: stringOpt(args, 'base')! }),
      ...(stringOpt(args, 'head') !== undefined && { head: stringOpt(args, 'head')! }),
      ...(files !== undefined && { files }),
      ...(target !== undefined && { target }),
      failOpen: boolOpt(args, 'fail-open'),
      owners: boolOpt(args, 'json'),
    };
    const all = await answered(ctx, args, 'affected', request, () => affected({ ...request, cwd: ctx.cwd, env: ctx.env }));
    const result = narrow(all, selected);
    for (const w of result.warnings) ctx.out.warn(w);
    const explain = boolOpt(args, 'explain');
    if (boolOpt(args, 'json')) {
      ctx.out.json({
        base: result.base,
        head: result.head,
        projects: result.projects,
        reasons: result.reasons,
        ...(result.tasks && { target: result.tasks.target, tasks: result.tasks.tasks, taskReasons: result.tasks.reasons }),
        ...(result.owners && { owners: result.owners }),
        ...(explain && { chains: result.chains }),
        ...(result.diagnostics.length > 0 && { diagnostics: result.diagnostics.map(({ location, ...d }) => ({ ...d, ...location })) }),
      });
      return ExitCode.ok;
    }
    const against = `${result.base ? `base ${result.base.slice(0, 10)}` : 'no base'}, ${result.head ? `head ${result.head.slice(0, 10)}` : 'working tree'}`;
    if (result.tasks) {
      const { tasks, reasons, target: t } = result.tasks;
      ctx.out.info(
        `${tasks.length} affected ${t} task${tasks.length === 1 ? '' : 's'} (${against}; ${result.changedFiles.length} changed file${result.changedFiles.length === 1 ? '' : 's'})`,
      );
      for (const id of tasks) ctx.out.print(explain ? result.tasks.chains[id] : `${id}  ${ctx.out.style('dim', describeReason(reasons[id]![0]! as never))}`);
      return ExitCode.ok;
    }
    ctx.out.info(
      `${result.projects.length} affected project${result.projects.length === 1 ? '' : 's'} (${against}; ${result.changedFiles.length} changed file${result.changedFiles.length === 1 ? '' : 's'})`,
    );
    const width = Math.max(0, ...result.projects.map((p) => p.length));
    for (const name of result.projects) {
      if (explain) ctx.out.print(result.chains[name]);
      else {
        const first = result.reasons[name]![0]!;
        const more = result.reasons[name]!.length - 1;
        ctx.out.print(`${name.padEnd(width)}  ${ctx.out.style('dim', `${describeReason(first)}${more > 0 ? ` +${more} more` : ''}`)}`);
      }
    }
    return ExitCode.ok;
  },
};

/** The result with only the selected projects (and their tasks). */
function narrow(result: AffectedResult, selected: readonly string[] | undefined): AffectedResult {
  if (selected === undefined) return result;
  const keep = new Set(selected);
  const only = <T>(record: Readonly<Record<string, T>>, name: (key: string) => string = (k) => k): Record<string, T> =>
    Object.fromEntries(Object.entries(record).filter(([k]) => keep.has(name(k))));
  const tasks = result.tasks && { ...result.tasks, tasks: result.tasks.tasks.filter((id) => keep.has(projectOf(id, result.tasks!.target))) };
  return {
    ...result,
    projects: result.projects.filter((p) => keep.has(p)),
    reasons: only(result.reasons),
    chains: only(result.chains),
    ...(result.owners && { owners: only(result.owners) }),
    ...(tasks && { tasks: { ...tasks, reasons: only(tasks.reasons, (id) => projectOf(id, tasks.target)), chains: only(tasks.chains, (id) => projectOf(id, tasks.target)) } }),
  };
}

const projectOf = (id: string, target: string): string => projectOfTask(id, target) ?? id;
