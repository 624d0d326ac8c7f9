/**
 * Restoring ahead (packages/core/src/cache/ahead.ts), against a real turborepo-remote-cache server:
 * a fresh clone whose commit has a run bundle writes the bundle's outputs into a staging folder of
 * its cache while it plans, then moves each entry the plan chose into place. The outputs are
 * byte-identical and the staging folder is gone after the run; an entry the plan does not use
 * leaves nothing behind; a folder already in the workspace keeps its own files; a file in the way
 * is replaced by the entry's, as an ordinary restore would; `--skip-cache` restores nothing ahead.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTurboServer, type CacheServer } from './helpers/cache-servers.js';
import { createRepo, git, runKiln, tempDir, type TempRepo } from './helpers/repo.js';

const TOKEN = 'tok-Ahead-1';
const PROJECTS = ['a', 'b', 'c', 'd'];
type Json = { tasks: { id: string; status: string; cache: string }[] };
const byId = (j: Json) => Object.fromEntries(j.tasks.map((t) => [t.id, `${t.status}/${t.cache}`]));
const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('warning'));
const aheadLine = (stderr: string) => stderr.split('\n').find((l) => l.includes('restored ahead'));

function project(name: string) {
  const files = [1, 2, 3].map((i) => `echo ${name}${i} > dist/f${i}.txt`).join(' && ');
  return { name, version: '1.0.0', scripts: { build: `mkdir -p dist/sub && ${files} && echo deep > dist/sub/d.txt && echo built ${name}` } };
}

/** Every file below the projects' dist folders, with its content and inode. */
function outputs(dir: string): Record<string, { text: string; ino: number }> {
  const out: Record<string, { text: string; ino: number }> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = { text: readFileSync(p, 'latin1'), ino: statSync(p).ino };
    }
  };
  for (const p of PROJECTS) if (existsSync(join(dir, 'packages', p, 'dist'))) walk(join(dir, 'packages', p, 'dist'));
  return out;
}
const texts = (o: ReturnType<typeof outputs>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.text]));
/** What is left in the cache's tmp/ (a staging folder is named `ahead.<pid>.<n>`). */
const leftovers = (dir: string) => (existsSync(join(dir, '.kiln/cache/tmp')) ? readdirSync(join(dir, '.kiln/cache/tmp')) : []);

describe('restoring a run bundle ahead of the plan', () => {
  let server: CacheServer;
  let repo: TempRepo;
  let env: NodeJS.ProcessEnv;
  const clone = (): string => {
    const dir = tempDir('kiln-ahead-');
    git(dir, ['clone', '-q', repo.dir, '.']);
    return dir;
  };
  const build = (cwd: string) => runKiln(['run', '-t', 'build', '--json'], { cwd, env: { ...env, KILN_TRACE: '1' } });

  beforeAll(async () => {
    server = await startTurboServer({ token: TOKEN });
    repo = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'nx.json': { targetDefaults: { build: { cache: true, outputs: ['{projectRoot}/dist'] } } },
      '.gitignore': 'dist\n.kiln\n',
      ...Object.fromEntries(PROJECTS.map((p) => [`packages/${p}/package.json`, project(p)])),
    });
    env = { TURBO_API: server.url, TURBO_TOKEN: TOKEN, TURBO_TEAM: 'team', KILN_REMOTE_CACHE_RUN_BUNDLES: '1' };
    // The commit's first build uploads each entry and the run bundle.
    const first = build(repo.dir);
    expect(first.code, first.stderr).toBe(0);
    expect(Object.values(byId(first.json())).every((s) => s === 'success/miss')).toBe(true);
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
  });

  it('puts every entry in place byte for byte, leaves no staging folder, and a later run rewrites nothing', () => {
    const b = clone();
    const run = build(b);
    expect(run.code, run.stderr).toBe(0);
    expect(byId(run.json())).toEqual(Object.fromEntries(PROJECTS.map((p) => [`${p}:build`, 'success/remote'])));
    expect(warnings(run.stderr)).toEqual([]);
    expect(aheadLine(run.stderr)).toContain('4 entries of the run bundle restored ahead, 4 of them put in place');
    const restored = outputs(b);
    expect(texts(restored)).toEqual(texts(outputs(repo.dir)));
    expect(leftovers(b)).toEqual([]);
    // The stat index has each file as it lies after the move: nothing is written again.
    const again = runKiln(['run', '-t', 'build', '--json'], { cwd: b, env: { ...env, KILN_REMOTE_CACHE: 'off' } });
    expect(Object.values(byId(again.json())).every((s) => s === 'success/local')).toBe(true);
    expect(outputs(b)).toEqual(restored);
  });

  it('an entry the plan does not use: its staged outputs are removed, the task runs', () => {
    const b = clone();
    // An input of a only in this work tree: a's hash is not the bundle's.
    writeFileSync(join(b, 'packages/a/extra.txt'), 'changed here\n');
    const run = build(b);
    expect(run.code, run.stderr).toBe(0);
    expect(byId(run.json())).toMatchObject({ 'a:build': 'success/miss', 'b:build': 'success/remote' });
    expect(run.stderr).toContain('built a');
    expect(aheadLine(run.stderr)).toContain('4 entries of the run bundle restored ahead, 3 of them put in place');
    expect(leftovers(b)).toEqual([]);
    expect(texts(outputs(b))).toEqual(texts(outputs(repo.dir)));
  });

  it('into a folder the workspace already has: its own files stay, the entry comes in beside them', () => {
    const b = clone();
    mkdirSync(join(b, 'packages/d/dist'));
    writeFileSync(join(b, 'packages/d/dist/notes.md'), 'mine\n');
    const run = build(b);
    expect(run.code, run.stderr).toBe(0);
    expect(byId(run.json())['d:build']).toBe('success/remote');
    expect(aheadLine(run.stderr)).toContain('4 of them put in place');
    expect(readFileSync(join(b, 'packages/d/dist/notes.md'), 'utf8')).toBe('mine\n');
    const { 'packages/d/dist/notes.md': mine, ...rest } = texts(outputs(b));
    expect(mine).toBe('mine\n');
    expect(rest).toEqual(texts(outputs(repo.dir)));
    expect(leftovers(b)).toEqual([]);
  });

  it('a run that ignores cached results restores nothing ahead, leaves nothing in tmp/, and exits', () => {
    // (It hung after its last task: the restore workers started for the bundle's bodies got no job, and a listener kept one alive.)
    const b = clone();
    const run = runKiln(['run', '-t', 'build', '--json', '--skip-cache'], { cwd: b, env: { ...env, KILN_TRACE: '1' } });
    expect(run.code, run.stderr).toBe(0);
    expect(Object.values(byId(run.json())).every((s) => s === 'success/miss')).toBe(true);
    expect(aheadLine(run.stderr)).toBeUndefined();
    expect(leftovers(b)).toEqual([]);
  });

  it('a file in the way: replaced by the entry, as an ordinary restore does', () => {
    const b = clone();
    mkdirSync(join(b, 'packages/b/dist'));
    writeFileSync(join(b, 'packages/b/dist/f1.txt'), 'stale\n');
    const run = build(b);
    expect(run.code, run.stderr).toBe(0);
    expect(byId(run.json())['b:build']).toBe('success/remote');
    expect(warnings(run.stderr)).toEqual([]);
    expect(aheadLine(run.stderr)).toContain('3 of them put in place');
    expect(texts(outputs(b))).toEqual(texts(outputs(repo.dir)));
    expect(leftovers(b)).toEqual([]);
  });
});
