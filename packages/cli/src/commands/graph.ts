/** `kiln graph [PROJECT] [--json] [--file out.json|out.html]`: the project graph. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { didYouMean, diagnostic, KilnError, type ProjectName } from '@kiln/core/model';
// One operation each, not the whole api barrel: start-up stays cheap.
import { graphPage } from '@kiln/core/api/graph-page';
import { toNxProjectGraph, type ProjectGraph } from '@kiln/core/graph';
import { boolOpt, ExitCode, jsonOption, stringOpt, type Command } from '../command.js';
import { answered } from '../daemon-route.js';
import { graphPageHtml } from '../graph-page/page.js';
import { selectedProjects, selectionOf, selectionOptions } from '../selection.js';

export const command: Command = {
  name: 'graph',
  summary: 'show the project graph (dependencies between projects)',
  usage: 'kiln graph [PROJECT] [-p PATTERN] [--exclude PATTERN] [--filter FILTER] [--json] [--file out.json|out.html [--affected [--base REF] [--head REF]] [-t TARGET]]',
  allowPositionals: true,
  options: {
    ...jsonOption,
    ...selectionOptions('only these projects and the edges between them (--json and the text)'),
    file: { type: 'string', value: 'FILE', description: 'write the graph to FILE: .json (Nx ProjectGraph shape) or .html (a page that draws it; opens focused on PROJECT)' },
    affected: { type: 'boolean', description: 'on the page: highlight the projects affected since the merge-base with the base' },
    base: { type: 'string', value: 'REF', description: 'with --affected: compare against REF' },
    head: { type: 'string', value: 'REF', description: 'with --affected: up to REF (default: the working tree)' },
    target: { type: 'string', short: 't', value: 'TARGET', description: "on the page: also the task graph of TARGET, with each task's cache status" },
  },
  details: [
    'Edges are typed as Nx types them: static (package.json dependency or import), dynamic (import()), implicit (implicitDependencies).',
    'With PROJECT, shows what it depends on and what depends on it.',
    '--json prints {"nodes":{name:{"name","type","data":{"root",...}}},"dependencies":{name:[{"source","target","type"}]}}.',
    'The .html page works offline: focus a project to see its transitive dependencies and dependents; search names, folders, tags and owners. See docs/graph.md.',
    'Exit codes: 0 shown; 2 configuration error or unknown project.',
  ].join('\n'),
  async run(args, ctx) {
    const file = stringOpt(args, 'file');
    const target = stringOpt(args, 'target');
    const affected = boolOpt(args, 'affected');
    if ((affected || target !== undefined) && !file?.endsWith('.html'))
      throw new KilnError(diagnostic('usage', `${affected ? '--affected' : '-t'} is drawn on the graph page: add --file graph.html.`, { hint: 'For example: kiln graph --file graph.html --affected -t build' }));
    const loadDirect = async () => (await import('@kiln/core/api/workspace-graph')).loadWorkspaceAndGraph(ctx.cwd);
    // The page is drawn from the workspace too, read here; the graph alone can come from the daemon.
    const loaded = file?.endsWith('.html') ? await loadDirect() : undefined;
    const graph = loaded?.graph ?? (await answered<ProjectGraph>(ctx, args, 'graph', null, async () => (await loadDirect()).graph));
    const focus = args.positionals[0] as ProjectName | undefined;
    if (args.positionals.length > 1) throw new KilnError(diagnostic('usage', 'kiln graph takes at most one PROJECT.', { hint: 'Run `kiln graph --help`.' }));
    if (focus !== undefined && !graph.projects.has(focus))
      throw new KilnError(
        diagnostic('unknown-project', `no project is named "${focus}".${didYouMean(focus, graph.projects.keys())}`, { hint: 'Run `kiln projects` to see every project.' }),
      );
    const selected = await selectedProjects(selectionOf(args), ctx);
    const nx = selected === undefined ? toNxProjectGraph(graph) : onlyProjects(toNxProjectGraph(graph), selected);
    if (file !== undefined) {
      const path = resolve(ctx.cwd, file);
      if (file.endsWith('.html')) {
        const range = { ...(stringOpt(args, 'base') && { base: stringOpt(args, 'base') }), ...(stringOpt(args, 'head') && { head: stringOpt(args, 'head') }) };
        const request = { cwd: ctx.cwd, env: ctx.env, ...(focus && { focus }), ...(affected && { affected: range }), ...(target !== undefined && { target }) };
        writeFileSync(path, graphPageHtml(await graphPage(request, loaded!)));
      }
      else if (file.endsWith('.json')) writeFileSync(path, `${JSON.stringify(nx, null, 2)}\n`);
      else throw new KilnError(diagnostic('usage', `--file must end in .json or .html, not "${file}".`, { hint: 'For example: kiln graph --file graph.html' }));
      ctx.out.info(`wrote ${file}`);
    }
    if (boolOpt(args, 'json')) {
      ctx.out.json(nx);
      return ExitCode.ok;
    }
    if (file === undefined) printHuman(graph, focus, ctx.out, selected);
    return ExitCode.ok;
  },
};

/** The Nx-shaped graph with only `names` and the edges between them. */
function onlyProjects(nx: ReturnType<typeof toNxProjectGraph>, names: readonly string[]): ReturnType<typeof toNxProjectGraph> {
  const keep = new Set(names);
  return {
    ...nx,
    nodes: Object.fromEntries(Object.entries(nx.nodes).filter(([n]) => keep.has(n))),
    dependencies: Object.fromEntries(
      Object.entries(nx.dependencies)
        .filter(([n]) => keep.has(n))
        .map(([n, edges]) => [n, edges.filter((e) => keep.has(e.target))]),
    ),
  };
}

function printHuman(
  graph: ProjectGraph,
  focus: ProjectName | undefined,
  out: { print(l?: string): void; style(s: 'bold' | 'dim' | 'yellow', t: string): string },
  selected?: readonly string[],
): void {
  const describe = (edges: readonly { target?: string; source?: string; type: string }[], key: 'target' | 'source'): string =>
    edges.map((e) => (e.type === 'static' ? e[key]! : `${e[key]} (${e.type})`)).join(', ');
  const names = focus ? [focus] : [...graph.projects.keys()].filter((n) => !selected || selected.includes(n));
  let edgeCount = 0;
  for (const name of names) {
    const deps = (graph.dependencies.get(name) ?? []).filter((e) => focus || !selected || selected.includes(e.target));
    edgeCount += deps.length;
    if (focus) {
      out.print(out.style('bold', name));
      out.print(`  depends on:    ${describe(deps, 'target') || '-'}`);
      out.print(`  dependents:    ${describe(graph.dependents.get(name) ?? [], 'source') || '-'}`);
      const ext = graph.external.get(name) ?? [];
      out.print(`  npm packages:  ${ext.map((e) => e.package).join(', ') || '-'}`);
    } else {
      out.print(`${out.style('bold', name)}${deps.length > 0 ? ` → ${describe(deps, 'target')}` : ''}`);
    }
  }
  const cycles = graph.cycles.filter((c) => !focus || c.includes(focus));
  for (const c of cycles) out.print(out.style('yellow', `cycle: ${[...c, c[0]].join(' → ')}`));
  if (!focus) out.print(out.style('dim', `${names.length} projects, ${edgeCount} edges${cycles.length > 0 ? `, ${cycles.length} cycle${cycles.length === 1 ? '' : 's'}` : ''}`));
}
