/**
 * The selection options every project-selecting command declares (`-p`, `--exclude`, `--filter`)
 * and their reading: the patterns go to core's one selection (api/select.ts), warnings to stderr.
 */
import type { SelectionRequest } from '@kiln/core/api/select';
import { listOpt, type CommandContext, type OptionSpec, type ParsedArgs } from './command.js';

export function selectionOptions(projectsHelp = 'only these projects'): Record<string, OptionSpec> {
  return {
    projects: { type: 'string', short: 'p', multiple: true, value: 'PATTERN', description: `${projectsHelp}: names, globs (app-*), tag:T, directories (libs/*), !exclusions` },
    exclude: { type: 'string', multiple: true, value: 'PATTERN', description: 'leave out the projects these patterns match (same patterns as -p)' },
    filter: {
      type: 'string',
      short: 'F',
      multiple: true,
      value: 'FILTER',
      description: "turbo's filters: name, name... (and dependencies), ...name (and dependents), ./dir, [REF], !filter",
    },
  };
}

export function selectionOf(args: ParsedArgs, extra: readonly string[] = []): SelectionRequest {
  const projects = [...extra, ...(listOpt(args, 'projects') ?? [])];
  // Filters are not split on commas: `{a,b}` is a glob.
  const filterValue = args.values.filter;
  const filter = (Array.isArray(filterValue) ? filterValue : typeof filterValue === 'string' ? [filterValue] : []).map((f) => f.trim()).filter((f) => f !== '');
  const exclude = listOpt(args, 'exclude') ?? [];
  return { ...(projects.length > 0 && { projects }), ...(exclude.length > 0 && { exclude }), ...(filter.length > 0 && { filter }) };
}

/** The selected project names (undefined: nothing selected, the command's default); warnings go to stderr. */
export async function selectedProjects(request: SelectionRequest, ctx: CommandContext, within?: 'release' | 'artifact'): Promise<readonly string[] | undefined> {
  if (Object.keys(request).length === 0) return undefined;
  const { isPlainNames, selectProjects } = await import('@kiln/core/api/select');
  // Plain names stay as given for release and artifact, which check them against their own projects.
  if (within && isPlainNames(request)) return request.projects;
  const r = await selectProjects({ cwd: ctx.cwd, env: ctx.env, selection: request, ...(within && { within }) });
  for (const w of r.warnings) ctx.out.warn(w);
  return r.projects;
}
