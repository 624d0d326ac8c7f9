/** `kiln hash PROJECT:TARGET [--json]`: a task's hash and the inputs it covers. */
import type { TaskHash } from '@kiln/core/api/hash';
import { boolOpt, ExitCode, jsonOption, type Command } from '../command.js';
import { answered } from '../daemon-route.js';
import { requireTaskArg } from './why-miss.js';

export const command: Command = {
  name: 'hash',
  summary: "print a task's hash and the inputs it covers",
  usage: 'kiln hash PROJECT:TARGET [--json]',
  allowPositionals: true,
  options: { ...jsonOption },
  details: '--json prints {"hash","inputs":{version,task,root,target,files,dependencies,projectFiles,env,runtime,external}}.\nExit codes: 0 printed; 2 unknown task or configuration error.',
  async run(args, ctx) {
    const spec = await requireTaskArg(args.positionals, 'hash');
    const r = await answered<TaskHash>(ctx, args, 'hash', { spec }, async () => (await import('@kiln/core/api/hash')).taskHash(ctx.cwd, spec));
    if (boolOpt(args, 'json')) {
      ctx.out.json(r);
      return ExitCode.ok;
    }
    const i = r.inputs;
    ctx.out.print(`${ctx.out.style('bold', spec)} ${r.hash}`);
    ctx.out.print(`  files: ${Object.keys(i.files).length}, dependency tasks: ${Object.keys(i.dependencies).length}, dependency projects: ${Object.keys(i.projectFiles).length}`);
    for (const [name, v] of Object.entries(i.dependencies)) ctx.out.print(`  ${ctx.out.style('dim', 'task')} ${name} ${v.slice(0, 12)}`);
    for (const name of Object.keys(i.env)) ctx.out.print(`  ${ctx.out.style('dim', 'env')} ${name}`);
    for (const [name, v] of Object.entries(i.external)) ctx.out.print(`  ${ctx.out.style('dim', 'package')} ${name}@${v}`);
    for (const [f, oid] of Object.entries(i.files)) ctx.out.print(`  ${ctx.out.style('dim', oid.slice(0, 10))} ${f}`);
    return ExitCode.ok;
  },
};
