/**
 * The graph page: one self-contained HTML file (no network) with the data, cytoscape and its dagre
 * layout (bundled from node_modules) and the page's own script and style (packages/cli/assets/graph-page) inlined.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { GraphPageData } from '@kiln/core/api/graph-page';

const assets = new URL('../../assets/graph-page/', import.meta.url);

export function graphPageHtml(data: GraphPageData): string {
  const require = createRequire(import.meta.url);
  const cytoscape = readFileSync(require.resolve('cytoscape/dist/cytoscape.min.js'), 'utf8');
  const dagre = readFileSync(require.resolve('cytoscape-dagre'), 'utf8');
  const client = readFileSync(new URL('client.js', assets), 'utf8');
  const style = readFileSync(new URL('style.css', assets), 'utf8');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kiln graph</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${style}</style></head><body>
<aside id="side">
<h1>kiln graph</h1>
<div id="stats"></div>
<input id="q" type="search" placeholder="search: name, folder, tag:…, owner:…" autofocus>
<div><button id="clear">Clear focus</button><button id="all">Group / ungroup</button><button id="fit">Fit</button></div>
<div id="modes" hidden><label><input type="radio" name="mode" value="projects" checked> projects</label>
<label><input type="radio" name="mode" value="tasks" id="mode-tasks"> tasks</label></div>
<div class="legend"><span style="background:#d5e6ff">dependency</span><span style="background:#ffe7c2">dependent</span><span style="background:#ffd9d4">affected</span><span style="border-color:#c00;border-style:dashed">cycle</span>${
    data.tasks ? '<span style="background:#d6f2d8">cached</span><span style="background:#fff1c7">stale</span><span style="background:#ececec">never run</span>' : ''
  }</div>
<div id="results"></div>
<div id="details"></div>
<div id="cycles"></div>
</aside>
<div id="cy"></div>
<script type="application/json" id="kiln-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>${scriptSafe(cytoscape)}</script>
<script>${scriptSafe(dagre)}</script>
<script>${scriptSafe(client)}</script>
</body></html>
`;
}

/** A script element ends at the first `</script`, wherever it stands; in the scripts we inline it can only stand in a string or a pattern, where `<\/` means the same. */
function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1');
}
