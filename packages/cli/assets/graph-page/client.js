/*
 * kiln's graph page: draws the data kiln wrote into #kiln-data (see api/graph-page.ts) with
 * cytoscape and its dagre layout, bundled into the page, so it works offline. Above GROUP_ABOVE nodes the picture starts
 * collapsed into folder groups (split by depth when a folder is large) until a project is focused
 * or a group is opened: a thousand boxes at once is not a picture anyone can read.
 */
(() => {
  'use strict';
  const GROUP_ABOVE = 150;
  const LAYERED_UP_TO = 400;
  const SPLIT_ABOVE = 60;
  const LIST_MAX = 200;
  const data = JSON.parse(document.getElementById('kiln-data').textContent);
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

  const projects = new Map(data.projects.map((p) => [p.name, p]));
  const affected = data.affected ? data.affected.projects : {};
  const cycleEdges = new Set();
  const inCycle = new Set();
  for (const c of data.cycles) c.forEach((n, i) => { inCycle.add(n); cycleEdges.add(n + '\u0000' + c[(i + 1) % c.length]); });

  /** A graph of one mode: nodes with what the sidebar shows, edges in Nx's direction (source depends on target). */
  function buildGraph(mode) {
    const nodes = new Map();
    let edges;
    if (mode === 'tasks') {
      for (const t of data.tasks.nodes) nodes.set(t.id, { id: t.id, label: t.id, project: t.project, status: t.status, hash: t.hash });
      edges = data.tasks.edges.map((e) => ({ source: e.source, target: e.target, cycle: false }));
    } else {
      for (const p of data.projects) nodes.set(p.name, { id: p.name, label: p.name, project: p.name });
      edges = data.edges.map((e) => ({ source: e.source, target: e.target, type: e.type, cycle: cycleEdges.has(e.source + '\u0000' + e.target) }));
    }
    const out = new Map([...nodes.keys()].map((k) => [k, []]));
    const back = new Map([...nodes.keys()].map((k) => [k, []]));
    for (const e of edges) { out.get(e.source)?.push(e.target); back.get(e.target)?.push(e.source); }
    const graph = { mode, nodes, edges, out, back };
    assignGroups(graph);
    return graph;
  }

  function folderOf(root) {
    if (!root) return '.';
    const i = root.lastIndexOf('/');
    return i < 0 ? '.' : root.slice(0, i);
  }

  /** Longest path to a node without dependencies; a cycle counts once. */
  function depths(graph) {
    const depth = new Map();
    const visiting = new Set();
    const visit = (id) => {
      if (depth.has(id)) return depth.get(id);
      if (visiting.has(id)) return 0;
      visiting.add(id);
      let d = 0;
      for (const t of graph.out.get(id) || []) d = Math.max(d, visit(t) + 1);
      visiting.delete(id);
      depth.set(id, d);
      return d;
    };
    for (const id of graph.nodes.keys()) visit(id);
    return depth;
  }

  function assignGroups(graph) {
    const byFolder = new Map();
    for (const n of graph.nodes.values()) {
      const folder = folderOf(projects.get(n.project)?.root ?? '');
      if (!byFolder.has(folder)) byFolder.set(folder, []);
      byFolder.get(folder).push(n);
    }
    const depth = [...byFolder.values()].some((ns) => ns.length > SPLIT_ABOVE) ? depths(graph) : undefined;
    graph.groups = new Map();
    for (const [folder, ns] of byFolder) {
      for (const n of ns) {
        const split = ns.length > SPLIT_ABOVE;
        n.group = split ? `${folder}/ · depth ${depth.get(n.id)}` : `${folder}/`;
        if (!graph.groups.has(n.group)) graph.groups.set(n.group, []);
        graph.groups.get(n.group).push(n.id);
      }
    }
  }

  function closure(graph, start, edges) {
    const seen = new Set();
    const queue = [start];
    while (queue.length) for (const next of edges.get(queue.pop()) || []) if (next !== start && !seen.has(next)) { seen.add(next); queue.push(next); }
    return seen;
  }

  const graphs = { projects: buildGraph('projects') };
  if (data.tasks) graphs.tasks = buildGraph('tasks');
  const hashState = new URLSearchParams(location.hash.slice(1));
  const state = {
    mode: hashState.get('mode') === 'tasks' && data.tasks ? 'tasks' : 'projects',
    focus: hashState.get('focus') || data.focus || null,
    expanded: new Set(),
    grouped: null,
    query: '',
  };

  /** What is drawn now: focused closure, groups with the opened ones expanded, or everything. */
  function elements() {
    const graph = graphs[state.mode];
    const els = [];
    const focus = state.focus && graph.nodes.has(state.focus) ? state.focus : null;
    if (focus) {
      const deps = closure(graph, focus, graph.out);
      const dependents = closure(graph, focus, graph.back);
      const role = (id) => (id === focus ? 'focus' : deps.has(id) && dependents.has(id) ? 'dep dependent' : deps.has(id) ? 'dep' : dependents.has(id) ? 'dependent' : null);
      for (const n of graph.nodes.values()) { const r = role(n.id); if (r) els.push(nodeElement(n, r)); }
      for (const e of graph.edges) if (role(e.source) && role(e.target)) els.push(edgeElement(e.source, e.target, e));
      return els;
    }
    const grouped = state.grouped ?? graph.nodes.size > GROUP_ABOVE;
    if (!grouped) {
      for (const n of graph.nodes.values()) els.push(nodeElement(n, ''));
      for (const e of graph.edges) els.push(edgeElement(e.source, e.target, e));
      return els;
    }
    const visible = (id) => { const g = graph.nodes.get(id).group; return state.expanded.has(g) ? id : 'group:' + g; };
    for (const [g, members] of graph.groups) {
      if (state.expanded.has(g)) { for (const id of members) els.push(nodeElement(graph.nodes.get(id), '')); continue; }
      const hot = members.filter((id) => affected[graph.nodes.get(id).project] !== undefined).length;
      els.push({ group: 'nodes', data: { id: 'group:' + g, label: `${g}\n${members.length} ${graph.mode}${hot ? ` · ${hot} affected` : ''}`, group: g }, classes: 'group' + (hot ? ' affected' : '') });
    }
    const seen = new Map();
    for (const e of graph.edges) {
      const s = visible(e.source); const t = visible(e.target);
      if (s === t) continue;
      const key = s + '\u0000' + t;
      const prior = seen.get(key);
      if (prior) { prior.data.count++; prior.data.label = String(prior.data.count); continue; }
      const el = edgeElement(s, t, e);
      el.data.count = 1;
      seen.set(key, el);
      els.push(el);
    }
    return els;
  }

  function nodeElement(n, role) {
    const classes = [role, affected[n.project] !== undefined ? 'affected' : '', inCycle.has(n.id) ? 'cycle' : '', n.status ? 'task ' + n.status : ''];
    return { group: 'nodes', data: { id: n.id, label: n.label }, classes: classes.filter(Boolean).join(' ') };
  }

  function edgeElement(source, target, e) {
    return { group: 'edges', data: { id: source + '->' + target, source, target, label: '' }, classes: [e.cycle ? 'cycle' : '', e.type && e.type !== 'static' ? e.type : ''].filter(Boolean).join(' ') };
  }

  cytoscape.use(cytoscapeDagre);
  const cy = cytoscape({
    container: $('cy'),
    wheelSensitivity: 0.3,
    minZoom: 0.05,
    style: [
      { selector: 'node', style: { shape: 'round-rectangle', label: 'data(label)', 'text-valign': 'center', 'text-halign': 'center', 'font-size': 11, width: 'label', height: 22, padding: '6px', 'background-color': '#eef2f8', 'border-width': 1, 'border-color': '#7d93b8', color: '#1d2433' } },
      { selector: 'node.group', style: { 'text-wrap': 'wrap', height: 38, 'background-color': '#f4f4f0', 'border-style': 'double', 'border-width': 3, 'border-color': '#999', 'font-size': 12 } },
      { selector: 'node.affected', style: { 'background-color': '#ffd9d4', 'border-color': '#d2402f' } },
      { selector: 'node.dep', style: { 'background-color': '#d5e6ff', 'border-color': '#2f6fd2' } },
      { selector: 'node.dependent', style: { 'background-color': '#ffe7c2', 'border-color': '#d28a1f' } },
      { selector: 'node.focus', style: { 'background-color': '#fff', 'border-color': '#111', 'border-width': 3, 'font-weight': 'bold' } },
      { selector: 'node.cycle', style: { 'border-color': '#c00', 'border-style': 'dashed', 'border-width': 2 } },
      { selector: 'node.task.cached', style: { 'background-color': '#d6f2d8', 'border-color': '#2e8b3a' } },
      { selector: 'node.task.stale', style: { 'background-color': '#fff1c7', 'border-color': '#b8860b' } },
      { selector: 'node.task.never', style: { 'background-color': '#ececec', 'border-color': '#888' } },
      { selector: 'node.task.uncached', style: { 'background-color': '#fff', 'border-style': 'dotted' } },
      { selector: 'node.match', style: { 'underlay-color': '#ffe600', 'underlay-opacity': 0.8, 'underlay-padding': 5 } },
      { selector: 'node:selected', style: { 'overlay-color': '#2f6fd2', 'overlay-opacity': 0.15 } },
      { selector: 'edge', style: { width: 1.2, 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', 'arrow-scale': 0.8, 'line-color': '#9aa7bb', 'target-arrow-color': '#9aa7bb', label: 'data(label)', 'font-size': 9, color: '#666' } },
      { selector: 'edge.dynamic', style: { 'line-style': 'dotted' } },
      { selector: 'edge.implicit', style: { 'line-style': 'dashed', 'line-color': '#b0a0d0', 'target-arrow-color': '#b0a0d0' } },
      { selector: 'edge.cycle', style: { 'line-color': '#c00', 'target-arrow-color': '#c00', 'line-style': 'dashed', width: 2 } },
    ],
  });

  function draw() {
    const started = performance.now();
    cy.batch(() => { cy.elements().remove(); cy.add(elements()); });
    // dagre: layers by longest path with few crossings, the picture a dependency graph wants. Its
    // crossing reduction grows fast with long edges, so a large picture is layered breadth first.
    const options = cy.nodes().length <= LAYERED_UP_TO
      ? { name: 'dagre', rankDir: 'TB', nodeSep: 12, rankSep: 70 }
      : { name: 'breadthfirst', directed: true, spacingFactor: 1.2 };
    const layout = cy.layout({ ...options, animate: false, fit: true, padding: 20 });
    layout.one('layoutstop', () => {
      window.kiln.layoutMs = performance.now() - started;
      if (!window.kiln.ready) { window.kiln.readyMs = performance.now(); window.kiln.ready = true; }
      markMatches();
    });
    layout.run();
    history.replaceState(null, '', '#' + new URLSearchParams({ ...(state.focus && { focus: state.focus }), ...(state.mode !== 'projects' && { mode: state.mode }) }).toString());
    sidebar();
  }

  /** Nodes the search matches: a name, root, tag or owner containing the query (`tag:` and `owner:` narrow it). */
  function matches(id) {
    const q = state.query.trim().toLowerCase();
    if (!q) return false;
    const n = graphs[state.mode].nodes.get(id);
    const p = projects.get(n.project);
    const has = (list, s) => list.some((x) => x.toLowerCase().includes(s));
    if (q.startsWith('tag:')) return has(p.tags, q.slice(4));
    if (q.startsWith('owner:')) return has(p.owners, q.slice(6));
    return n.id.toLowerCase().includes(q) || p.root.toLowerCase().includes(q) || has(p.tags, q) || has(p.owners, q);
  }

  function markMatches() {
    cy.batch(() => cy.nodes().forEach((n) => {
      const graph = graphs[state.mode];
      const hit = n.hasClass('group') ? graph.groups.get(n.data('group')).some(matches) : matches(n.id());
      n.toggleClass('match', hit);
    }));
  }

  function focus(id) {
    state.focus = id;
    draw();
    if (id) cy.nodes().filter((n) => n.id() === id).select();
  }

  const link = (id) => `<a href="#" data-focus="${esc(id)}">${esc(id)}</a>`;
  function sidebar() {
    const graph = graphs[state.mode];
    const a = Object.keys(affected).length;
    $('stats').textContent = `${data.projects.length} projects · ${data.edges.length} edges · ${data.cycles.length} cycles` + (data.affected ? ` · ${a} affected${data.affected.base ? ` since ${data.affected.base.slice(0, 10)}` : ''}` : '') + (data.tasks ? ` · ${data.tasks.nodes.length} ${data.tasks.target} tasks` : '');
    const results = state.query.trim() ? [...graph.nodes.keys()].filter(matches) : [];
    $('results').innerHTML = results.length ? `<p>${results.length} match${results.length === 1 ? '' : 'es'}</p><ul>${results.slice(0, LIST_MAX).map((id) => `<li>${link(id)}</li>`).join('')}</ul>` : state.query.trim() ? '<p>no match</p>' : '';
    $('cycles').innerHTML = data.cycles.length ? `<h3>Cycles</h3><ul>${data.cycles.map((c) => `<li class="cycle">${c.concat(c[0]).map(link).join(' → ')}</li>`).join('')}</ul>` : '';
    const f = state.focus && graph.nodes.get(state.focus);
    if (!f) {
      $('details').innerHTML = `<p class="hint">${graph.nodes.size > GROUP_ABOVE && state.grouped !== false ? 'Groups hold many projects: click a group to open it, or search and pick a project to focus it.' : 'Click a node, or search, to focus it: its dependencies turn blue, its dependents orange.'}</p>`;
      return;
    }
    const p = projects.get(f.project);
    const deps = closure(graph, f.id, graph.out);
    const dependents = closure(graph, f.id, graph.back);
    const highlighted = [f.id, ...new Set([...deps, ...dependents])].sort();
    $('details').innerHTML = `<h2>${esc(f.id)}</h2>
      <dl><dt>root</dt><dd>${esc(p.root || '.')}</dd><dt>type</dt><dd>${esc(p.type)}</dd>
      <dt>tags</dt><dd>${p.tags.map(esc).join(', ') || '-'}</dd><dt>owners</dt><dd>${p.owners.map(esc).join(' ') || 'unowned'}</dd>
      ${f.status ? `<dt>cache</dt><dd class="status-${f.status}">${esc(f.status)} · ${esc(f.hash.slice(0, 12))}</dd>` : ''}
      ${affected[f.project] !== undefined ? `<dt>affected</dt><dd>${esc(affected[f.project] || 'yes')}</dd>` : ''}</dl>
      <p><b class="dep">${deps.size}</b> dependencies: ${(graph.out.get(f.id) || []).map(link).join(', ') || '-'}${deps.size > (graph.out.get(f.id) || []).length ? ' …' : ''}</p>
      <p><b class="dependent">${dependents.size}</b> dependents: ${(graph.back.get(f.id) || []).map(link).join(', ') || '-'}${dependents.size > (graph.back.get(f.id) || []).length ? ' …' : ''}</p>
      <details><summary>${highlighted.length} highlighted</summary><ul id="highlighted">${highlighted.map((id) => `<li>${esc(id)}</li>`).join('')}</ul></details>`;
  }

  document.addEventListener('click', (ev) => {
    const a = ev.target.closest('[data-focus]');
    if (!a) return;
    ev.preventDefault();
    focus(a.getAttribute('data-focus'));
  });
  cy.on('tap', 'node', (ev) => {
    const n = ev.target;
    if (n.hasClass('group')) { state.expanded.add(n.data('group')); draw(); } else if (n.id() !== state.focus) focus(n.id());
  });
  $('q').addEventListener('input', (ev) => { state.query = ev.target.value; markMatches(); sidebar(); });
  $('q').addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    const graph = graphs[state.mode];
    const q = state.query.trim();
    const pick = graph.nodes.has(q) ? q : [...graph.nodes.keys()].find(matches);
    if (pick) focus(pick);
  });
  $('clear').addEventListener('click', () => { state.expanded.clear(); focus(null); });
  $('all').addEventListener('click', () => { state.grouped = !(state.grouped ?? graphs[state.mode].nodes.size > GROUP_ABOVE); state.expanded.clear(); draw(); });
  $('fit').addEventListener('click', () => cy.fit(undefined, 30));
  if (data.tasks) {
    $('modes').hidden = false;
    $('mode-tasks').nextSibling.textContent = ` ${data.tasks.target} tasks`;
    for (const radio of document.querySelectorAll('input[name=mode]')) {
      radio.checked = radio.value === state.mode;
      radio.addEventListener('change', () => {
        const from = graphs[state.mode].nodes.get(state.focus);
        state.mode = radio.value;
        // Keep the focus on the same project across modes: its task, or the task's project.
        state.focus = from ? (state.mode === 'tasks' ? `${from.project}:${data.tasks.target}` : from.project) : null;
        if (!graphs[state.mode].nodes.has(state.focus)) state.focus = null;
        state.expanded.clear();
        draw();
      });
    }
  }

  window.kiln = {
    cy,
    ready: false,
    state,
    focus,
    /** The ids drawn as the focus, its dependencies and its dependents. */
    highlighted: () => cy.nodes('.focus, .dep, .dependent').map((n) => n.id()).sort(),
  };
  draw();
})();
