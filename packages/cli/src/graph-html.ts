/** A self-contained HTML page to browse a project graph (no network, no external scripts). */
import type { NxGraphJson } from '@kiln/core/api';

export function graphHtml(graph: NxGraphJson, cycles: readonly (readonly string[])[]): string {
  const data = JSON.stringify({ nodes: Object.fromEntries(Object.entries(graph.nodes).map(([k, n]) => [k, { type: n.type, root: n.data.root, tags: n.data.tags ?? [] }])), dependencies: graph.dependencies, cycles })
    .replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kiln graph</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
input{font:inherit;padding:.3rem .5rem;width:20rem}
.p{border:1px solid #ddd;border-radius:6px;padding:.5rem .8rem;margin:.5rem 0}
.p:target{border-color:#d60;background:#fff8f0}
.n{font-weight:600}.t{color:#888;font-size:12px}
a{color:#06c;text-decoration:none}a:hover{text-decoration:underline}
.dynamic{font-style:italic}.implicit{color:#888}.cycle{color:#b50}
</style></head><body>
<h1>kiln graph</h1>
<p><input id="q" placeholder="filter projects" autofocus> <span id="count"></span></p>
<div id="cycles"></div><div id="list"></div>
<script>
const g = ${data};
const dependents = {};
for (const [s, es] of Object.entries(g.dependencies)) for (const e of es) (dependents[e.target] ??= []).push(e);
const link = (n, type) => '<a class="' + type + '" href="#' + encodeURIComponent(n) + '">' + esc(n) + (type === 'static' ? '' : ' (' + type + ')') + '</a>';
function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]); }
document.getElementById('cycles').innerHTML = g.cycles.map((c) => '<p class="cycle">cycle: ' + c.concat(c[0]).map((n) => link(n, 'static')).join(' → ') + '</p>').join('');
function render() {
  const q = document.getElementById('q').value.toLowerCase();
  const names = Object.keys(g.nodes).sort().filter((n) => n.toLowerCase().includes(q));
  document.getElementById('count').textContent = names.length + ' of ' + Object.keys(g.nodes).length + ' projects';
  document.getElementById('list').innerHTML = names.map((n) => {
    const node = g.nodes[n];
    const deps = (g.dependencies[n] || []).map((e) => link(e.target, e.type)).join(', ') || '-';
    const back = (dependents[n] || []).map((e) => link(e.source, e.type)).join(', ') || '-';
    return '<div class="p" id="' + esc(n) + '"><span class="n">' + esc(n) + '</span> <span class="t">' + esc(node.type) + ' · ' + esc(node.root) + (node.tags.length ? ' · ' + node.tags.map(esc).join(' ') : '') + '</span><br>depends on: ' + deps + '<br>dependents: ' + back + '</div>';
  }).join('');
}
document.getElementById('q').addEventListener('input', render);
render();
</script></body></html>
`;
}
