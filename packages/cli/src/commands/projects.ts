/** `kiln projects [NAME...] [--json]`: the workspace's projects, sorted by name. */
// One operation each, not the whole api barrel: start-up stays cheap.
import type { ProjectSummary } from '@kiln/core/api/projects';
import { boolOpt, ExitCode, jsonOption, type Command } from '../command.js';
import { answered } from '../daemon-route.js';
import { selectedProjects, selectionOf, selectionOptions } from '../selection.js';

export const command: Command = {
  name: 'projects',
  summary: 'list the projects of the workspace',
  usage: 'kiln projects [PATTERN...] [-p PATTERN] [--exclude PATTERN] [--filter FILTER] [--json]',
  allowPositionals: true,
  options: { ...selectionOptions('only the projects these patterns match'), ...jsonOption },
  details: [
    'With PATTERN (or -p), shows only the projects it selects: names, globs, tag:T, directories, !exclusions,',
    "as Nx reads them; --filter takes turbo's filters (docs/selection.md). An unknown name is an error that",
    'suggests the nearest; a pattern that matches nothing is a warning.',
    '--json prints [{"name","root","type","tags","owners"}] sorted by name.',
    'Exit codes: 0 listed; 2 configuration error (the message says file:line:column).',
  ].join('\n'),
  async run(args, ctx) {
    let projects = await answered<ProjectSummary[]>(ctx, args, 'projects', null, async () => {
      const [{ loadWorkspace }, { listProjects }] = await Promise.all([import('@kiln/core/api/load-workspace'), import('@kiln/core/api/projects')]);
      return listProjects(await loadWorkspace(ctx.cwd));
    });
    const selected = await selectedProjects(selectionOf(args, args.positionals), ctx);
    if (selected !== undefined) projects = projects.filter((p) => selected.includes(p.name));
    if (boolOpt(args, 'json')) {
      ctx.out.json(projects);
      return ExitCode.ok;
    }
    if (projects.length === 0 && selected !== undefined) {
      ctx.out.info('no project matches the selection.');
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
