/**
 * Edge tests for the saved graph state: after each edit, the graph from the saved state (reused,
 * updated, or only its view moved on) must equal the graph built from nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workingTreeChanges } from '../scm/index.js';
import { affectedGraph, type AffectedGraphView } from './index.js';

const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
let dir: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim();
const write = (files: Record<string, string>) => {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
};

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-state-')));
  git('init', '-q', '-b', 'main');
  const pkg = (name: string) => JSON.stringify({ name, version: '1.0.0' });
  write({
    'package.json': JSON.stringify({ name: 'ws', private: true, workspaces: ['libs/*'] }),
    'nx.json': '{}',
    'libs/a/package.json': pkg('@ws/a'),
    'libs/a/src/index.ts': 'export const a = 1;\n',
    'libs/b/package.json': pkg('@ws/b'),
    'libs/b/src/index.ts': "import { a } from '@ws/a';\nexport const b = a;\n",
    'libs/c/package.json': pkg('@ws/c'),
    'libs/c/src/index.ts': 'export const c = 1;\n',
  });
  git('add', '-A');
  git('commit', '-qm', 'base');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function graph(): Promise<AffectedGraphView> {
  const head = git('rev-parse', 'HEAD');
  return affectedGraph(dir, head, await workingTreeChanges(dir, head), { full: false });
}
const edges = (view: AffectedGraphView) => Object.fromEntries([...view.dependencies].filter(([, d]) => d.length > 0).map(([p, d]) => [p, [...d].sort()]));

describe('the saved graph state', () => {
  it('answers what a build from nothing answers, edit after edit', async () => {
    const steps: [Record<string, string>, Record<string, string[]>][] = [
      [{ 'libs/a/src/index.ts': 'export const a = 2;\n' }, { '@ws/b': ['@ws/a'] }],
      // Same imports, new content: only the view moves on.
      [{ 'libs/b/src/index.ts': "import { a } from '@ws/a';\nexport const b = a + 1;\n" }, { '@ws/b': ['@ws/a'] }],
      // c starts importing b: a new edge, from a file the state knew clean.
      [{ 'libs/c/src/index.ts': "import { b } from '@ws/b';\nexport const c = b;\n" }, { '@ws/b': ['@ws/a'], '@ws/c': ['@ws/b'] }],
      [{ 'libs/c/src/index.ts': "import { b } from '@ws/b';\nexport const c = b + 1;\n" }, { '@ws/b': ['@ws/a'], '@ws/c': ['@ws/b'] }],
      // b stops importing a, in a file whose last change only moved the view.
      [{ 'libs/b/src/index.ts': 'export const b = 3;\n' }, { '@ws/c': ['@ws/b'] }],
      [{ 'libs/b/src/extra.ts': "import { c } from '@ws/c';\n" }, { '@ws/b': ['@ws/c'], '@ws/c': ['@ws/b'] }],
    ];
    const sources: string[] = [];
    for (const [i, [files, expected]] of steps.entries()) {
      write(files);
      const warm = await graph();
      sources.push(warm.source);
      expect(edges(warm), `step ${i} (${warm.source})`).toEqual(expected);
      // The same work tree again answers from the view alone, with the same graph.
      const again = await graph();
      expect(again.source).toBe('reused');
      expect(edges(again), `step ${i} again`).toEqual(expected);
    }
    rmSync(join(dir, '.kiln'), { recursive: true, force: true });
    const cold = await graph();
    expect(cold.source).toBe('built');
    expect(edges(cold)).toEqual(steps[steps.length - 1]![1]);
    // Every way through the state was taken.
    expect(sources).toContain('updated');
  });
});
