#!/usr/bin/env node
/**
 * The graph page at scale: generates a workspace (1,000 projects by default), writes
 * `kiln graph --file graph.html`, opens it in headless chromium (playwright-core) and reports how
 * long the page takes to load and lay out its first picture (folder groups), to draw every project
 * ungrouped, and to draw one project's closure when it is focused. Medians over --runs.
 *
 *   node tools/bench/graph-page.mjs [--projects 1000] [--runs 5] [--chromium /usr/bin/chromium]
 *
 * kiln-only: nx's graph page is a server-backed web app, turbo has none. Not a test: figures
 * depend on the machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { generateWorkspace } from './generate.mjs';

const kilnBin = resolve(fileURLToPath(new URL('../../packages/cli/bin/kiln.js', import.meta.url)));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const projects = Number(arg('projects', '1000'));
const runs = Number(arg('runs', '5'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'kiln-graph-page-'));
try {
  generateWorkspace({ dir, projects, filesPerProject: [3, 3], git: false, linkTools: false });
  const file = join(dir, 'graph.html');
  const wrote = spawnSync(process.execPath, [kilnBin, 'graph', '--file', file], { cwd: dir, encoding: 'utf8' });
  if (wrote.status !== 0) throw new Error(`kiln graph failed: ${wrote.stderr}`);
  const focus = Object.keys(JSON.parse(spawnSync(process.execPath, [kilnBin, 'graph', '--json'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 }).stdout).nodes).sort()[Math.floor(projects / 2)];
  const browser = await chromium.launch({ executablePath: arg('chromium', '/usr/bin/chromium'), args: ['--no-sandbox'] });
  const times = { first: [], ungrouped: [], focused: [], wall: [] };
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const started = Date.now();
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => window.kiln?.ready === true, null, { timeout: 60_000 });
    times.wall.push(Date.now() - started);
    times.first.push(await page.evaluate(() => window.kiln.readyMs));
    await page.click('#all');
    times.ungrouped.push(await page.evaluate(() => window.kiln.layoutMs));
    await page.evaluate((f) => window.kiln.focus(f), focus);
    times.focused.push(await page.evaluate(() => window.kiln.layoutMs));
    await page.close();
  }
  await browser.close();
  const ms = (xs) => `${Math.round(median(xs))} ms`;
  const size = (readFileSync(file).length / 1e6).toFixed(1);
  process.stdout.write(
    [
      `graph page, ${projects} projects (${size} MB), median of ${runs} in headless chromium:`,
      `  first picture (folder groups), from navigation: ${ms(times.first)} (page.goto to ready: ${ms(times.wall)})`,
      `  every project ungrouped, layout and draw:       ${ms(times.ungrouped)}`,
      `  one project focused (${focus}), layout and draw: ${ms(times.focused)}`,
      '',
    ].join('\n'),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
