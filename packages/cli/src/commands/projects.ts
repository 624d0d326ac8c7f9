/** `kiln projects [NAME...] [--json]`: the workspace's projects, sorted by name. */
import { didYouMean, KilnError, diagnostic } from '@kiln/core/model';
// One operation each, not the whole api barrel: start-up stays cheap.
import { loadWorkspace } from '@kiln/core/api/load-workspace';
import { listProjects } from '@kiln/core/api/projects';
import { boolOpt, ExitCode, jsonOption, type Command } from '../command.js';

export const command: Command = {
  name: 'projects',
  summary: 'list the projects of the workspace',
  usage: 'kiln projects [NAME...] [--json]',
  allowPositionals: true,
  options: { ...jsonOption },
  details: [
    'With NAME, shows only those projects (an unknown name is an error that suggests the nearest).',
    '--json prints [{"name","root","type","tags","owners"}] sorted by name.',
    'Exit codes: 0 listed; 2 configuration error (the message says file:line:column).',
  ].join('\n'),
  async run(args, ctx) {
    const ws = await loadWorkspace(ctx.cwd);
    let projects = await listProjects(ws);
    if (args.positionals.length > 0) {
      const names = projects.map((p) => p.name);
      const unknown = args.positionals.filter((n) => !names.includes(n));
      if (unknown.length > 0)
        throw new KilnError(
          unknown.map((n) => diagnostic('unknown-project', `no project is named "${n}".${didYouMean(n, names)}`, { hint: 'Run `kiln projects` to see every project.' })),
        );
      projects = projects.filter((p) => args.positionals.includes(p.name));
    }
    if (boolOpt(args, 'json')) {
      ctx.out.json(projects);
      return ExitCode.ok;
    }
    if (projects.length === 0) {
      ctx.out.info('no projects found: add package.json "workspaces" (or pnpm-workspace.yaml) or a project.json.');
      return ExitCode.ok;
    }
    const width = Math.max(...projects.map((p) => p.name.length));
    const rootWidth = Math.max(...projects.map((p) => p.root.length));
    for (const p of projects) {
      const extra = [p.tags.length > 0 ? ctx.out.style('dim', p.tags.join(' ')) : '', p.owners.length > 0 ? p.owners.join(' ') : ''].filter(Boolean).join('  ');
      ctx.out.print(`${ctx.out.style('bold', p.name.padEnd(width))}  ${p.type.padEnd(3)}  ${p.root.padEnd(rootWidth)}${extra ? `  ${extra}` : ''}`.trimEnd());
    }
    return ExitCode.ok;
  },
};
