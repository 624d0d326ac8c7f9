/**
 * The graph page (`kiln graph --file graph.html`) in a real browser: Debian's chromium driven by
 * playwright-core. What the page highlights must be what `kiln graph --json` and `kiln affected
 * --json` say; a 1,000-project page must load and lay out (its time is reported, not asserted:
 * tools/bench/graph-page.mjs measures it).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorkspace } from '../tools/bench/generate.mjs';
import { createRepo, runKiln, tempDir, type TempRepo } from './helpers/repo.js';
import { findAptTools } from './helpers/tools.js';

const chromiumPath = findAptTools().chromium;

interface NxGraph {
  dependencies: Record<string, { source: string; target: string }[]>;
}

/** The focus, everything it depends on and everything that depends on it, from `kiln graph --json`. */
function closure(graph: NxGraph, focus: string): string[] {
  const out = new Map<string, string[]>();
  const back = new Map<string, string[]>();
  for (const edges of Object.values(graph.dependencies))
    for (const e of edges) {
      out.set(e.source, [...(out.get(e.source) ?? []), e.target]);
      back.set(e.target, [...(back.get(e.target) ?? []), e.source]);
    }
  const seen = new Set([focus]);
  for (const edges of [out, back]) {
    const queue = [focus];
    while (queue.length > 0) for (const next of edges.get(queue.pop()!) ?? []) if (!seen.has(next)) (seen.add(next), queue.push(next));
  }
  return [...seen].sort();
}

let browser: Browser;
beforeAll(async () => {
  if (chromiumPath) browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
}, 60_000);
afterAll(async () => browser?.close());

/** Opens a page file; fails on any script error in it. */
async function open(file: string, hash = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // No network: a request leaving the file would mean the page is not self-contained.
  await page.route(/^(?!file:)/, (route) => (errors.push(`network request: ${route.request().url()}`), route.abort()));
  await page.goto(`file://${file}${hash}`);
  await page.waitForFunction(() => (globalThis as any).kiln?.ready === true, null, { timeout: 30_000 });
  (page as any).errors = errors;
  return page;
}

const highlighted = (page: Page): Promise<string[]> => page.evaluate(() => (globalThis as any).kiln.highlighted());
const withClass = (page: Page, cls: string): Promise<string[]> => page.evaluate((c) => (globalThis as any).kiln.cy.nodes(`.${c}`).map((n: any) => n.id()).sort(), cls);

describe.skipIf(!chromiumPath)('the graph page in chromium', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo({
      'nx.json': { targetDefaults: { build: { dependsOn: ['^build'], cache: true, outputs: ['{projectRoot}/dist'] } } },
      'package.json': { name: 'acme', private: true, workspaces: ['libs/*', 'libs/ui/*', 'apps/*'] },
      '.gitignore': 'dist/\n.kiln/\n',
      CODEOWNERS: '* @acme/everyone\n/libs/ui/ @acme/design\n',
      'libs/core/package.json': { name: 'core', version: '1.0.0', scripts: { build: 'mkdir -p dist && echo core > dist/out.txt' } },
      'libs/core/project.json': { tags: ['type:lib', 'scope:shared'] },
      'libs/ui/button/package.json': { name: 'button', version: '1.0.0', dependencies: { core: '*' }, scripts: { build: 'mkdir -p dist && echo b > dist/out.txt' } },
      'libs/ui/button/project.json': { tags: ['type:ui'] },
      'libs/ui/form/package.json': { name: 'form', version: '1.0.0', dependencies: { button: '*' }, scripts: { build: 'mkdir -p dist && echo f > dist/out.txt' } },
      'apps/shop/package.json': { name: 'shop', version: '1.0.0', dependencies: { form: '*' }, scripts: { build: 'mkdir -p dist && echo s > dist/out.txt' } },
      'apps/admin/package.json': { name: 'admin', version: '1.0.0', dependencies: { core: '*' }, scripts: { build: 'mkdir -p dist && echo a > dist/out.txt' } },
      // A cycle the page must mark: ping ⇄ pong.
      'libs/ping/package.json': { name: 'ping', version: '1.0.0', dependencies: { pong: '*' } },
      'libs/pong/package.json': { name: 'pong', version: '1.0.0', dependencies: { ping: '*' } },
    });
  });
  afterAll(() => repo.cleanup());

  it('focusing a project highlights exactly its transitive dependencies and dependents', async () => {
    const graph = repo.kiln(['graph', '--json']).json<NxGraph>();
    expect(repo.kiln(['graph', '--file', 'graph.html']).code).toBe(0);
    const page = await open(join(repo.dir, 'graph.html'));
    for (const focus of ['button', 'core', 'shop']) {
      await page.fill('#q', focus);
      await page.press('#q', 'Enter');
      expect(await highlighted(page)).toEqual(closure(graph, focus));
      expect(await page.locator('#highlighted li').allTextContents()).toEqual(closure(graph, focus));
    }
    // Owners and tags are searchable.
    await page.fill('#q', 'owner:@acme/design');
    expect(await page.locator('#results li').allTextContents()).toEqual(['button', 'form']);
    await page.fill('#q', 'tag:scope:shared');
    expect(await page.locator('#results li').allTextContents()).toEqual(['core']);
    await page.click('#clear');
    expect(await withClass(page, 'cycle')).toEqual(['ping', 'pong']);
    expect(await page.evaluate(() => (globalThis as any).kiln.cy.edges('.cycle').map((e: any) => e.id()).sort())).toEqual(['ping->pong', 'pong->ping']);
    const shot = join(tempDir(), 'graph.png');
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(5_000);
    expect((page as any).errors).toEqual([]);
    await page.close();
  });

  it('kiln graph PROJECT --file opens focused on it', async () => {
    expect(repo.kiln(['graph', 'form', '--file', 'form.html']).code).toBe(0);
    const page = await open(join(repo.dir, 'form.html'));
    expect(await highlighted(page)).toEqual(closure(repo.kiln(['graph', '--json']).json<NxGraph>(), 'form'));
    expect(await withClass(page, 'focus')).toEqual(['form']);
    await page.close();
  });

  it('--affected highlights what kiln affected says; -t shows the task graph with cache status', async () => {
    expect(repo.kiln(['run', '-t', 'build']).code).toBe(0);
    repo.write({ 'libs/ui/button/src/index.ts': 'export const b = 2;\n' });
    const affected = repo.kiln(['affected', '--json']).json<{ projects: string[] }>().projects;
    expect(affected).toEqual(['button', 'form', 'shop']);
    expect(repo.kiln(['graph', '--file', 'graph.html', '--affected', '-t', 'build']).code).toBe(0);
    const page = await open(join(repo.dir, 'graph.html'));
    expect(await withClass(page, 'affected')).toEqual(affected);
    await page.check('input[name=mode][value=tasks]');
    expect(await withClass(page, 'cached')).toEqual(['admin:build', 'core:build']);
    expect(await withClass(page, 'stale')).toEqual(['button:build', 'form:build', 'shop:build']);
    await page.fill('#q', 'form:build');
    await page.press('#q', 'Enter');
    expect(await highlighted(page)).toEqual(['button:build', 'core:build', 'form:build', 'shop:build']);
    expect((page as any).errors).toEqual([]);
    await page.close();
  });

  it('a 1,000-project page loads grouped, and a focus draws its closure', async () => {
    const dir = join(tempDir(), 'ws');
    generateWorkspace({ dir, projects: 1000, filesPerProject: [3, 3], git: false, linkTools: false });
    const file = join(dir, 'graph.html');
    const wrote = runKiln(['graph', '--file', file], { cwd: dir });
    expect(wrote.code, wrote.stderr).toBe(0);
    expect(existsSync(file)).toBe(true);
    const graph = runKiln(['graph', '--json'], { cwd: dir }).json<NxGraph>();
    const page = await open(file);
    const readyMs = await page.evaluate(() => (globalThis as any).kiln.readyMs as number);
    console.log(`graph page, 1,000 projects: loaded and laid out in ${Math.round(readyMs)} ms (${(readFileSync(file).length / 1e6).toFixed(1)} MB)`);
    const drawn = await page.evaluate(() => (globalThis as any).kiln.cy.nodes().length as number);
    expect(drawn).toBeLessThan(100);
    const focus = Object.keys(graph.dependencies).sort()[500]!;
    await page.evaluate((f) => (globalThis as any).kiln.focus(f), focus);
    expect(await highlighted(page)).toEqual(closure(graph, focus));
    expect((page as any).errors).toEqual([]);
    await page.close();
  }, 120_000);
});
