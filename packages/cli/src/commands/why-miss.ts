/** `kiln why-miss PROJECT:TARGET [--json]`: what changed since the last cached run of a task. */
import { taskIdReadings } from '@kiln/core/api/task-id';
import type { WhyMiss } from '@kiln/core/api/why-miss';
import { boolOpt, ExitCode, jsonOption, usageError, type Command } from '../command.js';
import { answered } from '../daemon-route.js';
import { describeChange as describe } from '../report/changes.js';

export const command: Command = {
  name: 'why-miss',
  summary: 'explain what changed since the last cached run of a task',
  usage: 'kiln why-miss PROJECT:TARGET [--json]',
  allowPositionals: true,
  options: { ...jsonOption },
  details: [
    '--json prints {"hash","previous","cached","changed":[{"kind":"file","path","change":"added|removed|changed"}|',
    '{"kind":"env","name",...}|{"kind":"dependency","task","previous","current"}|{"kind":"target","field",...}|',
    '{"kind":"external","package",...}|{"kind":"project-files","project",...}|{"kind":"runtime",...}],"dependencies":{task:[changes]}}.',
    '"previous" is null when the task has no cached run yet.',
    'Exit codes: 0 explained; 2 unknown task or configuration error.',
  ].join('\n'),
  async run(args, ctx) {
    const spec = await requireTaskArg(args.positionals, 'why-miss');
    const r = await answered<WhyMiss>(ctx, args, 'why-miss', { spec }, async () => (await import('@kiln/core/api/why-miss')).whyMiss(ctx.cwd, spec));
    if (boolOpt(args, 'json')) {
      ctx.out.json(r);
      return ExitCode.ok;
    }
    const o = ctx.out;
    if (r.previous === null) {
      o.print(`${spec} has no cached run yet (hash ${r.hash.slice(0, 12)}).`);
      return ExitCode.ok;
    }
    if (r.changed.length === 0) {
      o.print(
        `${spec}: nothing changed since its last cached run (${r.hash.slice(0, 12)})${r.cached ? '; the next run restores it from the cache' : ', but the entry is no longer in the cache'}.`,
      );
      return ExitCode.ok;
    }
    o.print(`${o.style('bold', spec)}: ${r.previous.slice(0, 12)} → ${r.hash.slice(0, 12)}, ${r.changed.length} change${r.changed.length === 1 ? '' : 's'}:`);
    const show = (changes: typeof r.changed, indent: string): void => {
      for (const c of changes) {
        o.print(`${indent}${describe(c)}`);
        if (c.kind === 'dependency' && r.dependencies[c.task]) show(r.dependencies[c.task]!, `${indent}    `);
      }
    };
    show(r.changed, '  ');
    return ExitCode.ok;
  },
};

export async function requireTaskArg(positionals: string[], name: string): Promise<string> {
  const spec = positionals[0];
  if (spec === undefined || positionals.length > 1 || taskIdReadings(spec).length === 0)
    throw await usageError('invalid-task', `kiln ${name} takes one task, PROJECT:TARGET.`, `e.g. kiln ${name} app:build`);
  return spec;
}
