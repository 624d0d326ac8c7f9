/**
 * What git answers with depends on more than the work tree: its configuration (`.git/config`, the
 * global and system files), `.git/info/exclude`, the global excludes file, and the index (a file
 * force-added under an ignored folder). A real daemon, a real repository: after each change the
 * daemon's answer must be the direct one, including when it had the old answer in memory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRepo, tempDir, testEnv, type FileTree, type TempRepo } from './helpers/repo.js';

const workspace: FileTree = {
  'package.json': { name: 'w', private: true, workspaces: ['p/*'] },
  'nx.json': {},
  '.gitignore': '.kiln\ngen/\n',
  'p/a/package.json': { name: 'a' },
  'p/a/src/index.ts': 'export const a = 1;\n',
  'p/b/package.json': { name: 'b' },
  'p/b/src/index.ts': 'export const b = 1;\n',
};
const on = { KILN_DAEMON: '1', KILN_DAEMON_IDLE_MS: '120000' };
const off = { KILN_DAEMON: '0' };

let r: TempRepo;
beforeEach(() => {
  r = createRepo(workspace);
  expect(r.kiln(['daemon', 'start'], { env: on }).code).toBe(0);
});
afterEach(() => {
  r.kiln(['daemon', 'stop'], { env: on });
  r.cleanup();
});

/** Asks through the daemon until the answer comes from memory, then checks it equals the direct answer. */
function settled(what: string): string[] {
  r.kiln(['affected', '--json'], { env: on });
  const kept = r.kiln(['affected', '--json', '--verbose'], { env: on });
  expect(kept.stderr, what).toMatch(/daemon: answered from memory/);
  expect(kept.stdout, what).toBe(r.kiln(['affected', '--json'], { env: off }).stdout);
  return kept.json<{ projects: string[] }>().projects;
}
/** The daemon's next answer equals the direct one. */
function agrees(what: string): string[] {
  const via = r.kiln(['affected', '--json', '--verbose'], { env: on });
  expect(via.stderr, what).toMatch(/daemon: answered/);
  expect(via.stdout, what).toBe(r.kiln(['affected', '--json'], { env: off }).stdout);
  return via.json<{ projects: string[] }>().projects;
}

describe('the daemon and what git reads besides the work tree', () => {
  it('follows .git/info/exclude, the global excludes file, core.excludesFile and core.ignorecase', () => {
    writeFileSync(join(r.dir, 'p/a/src/new.ts'), 'export const n = 1;\n');
    expect(settled('an untracked file')).toEqual(['a']);
    writeFileSync(join(r.dir, '.git/info/exclude'), 'new.ts\n');
    expect(agrees('.git/info/exclude')).toEqual([]);
    writeFileSync(join(r.dir, '.git/info/exclude'), '');
    expect(settled('.git/info/exclude emptied')).toEqual(['a']);
    // The default global excludes file ($XDG_CONFIG_HOME/git/ignore).
    const xdg = testEnv().XDG_CONFIG_HOME!;
    mkdirSync(join(xdg, 'git'), { recursive: true });
    writeFileSync(join(xdg, 'git/ignore'), 'new.ts\n');
    expect(agrees('the global excludes file')).toEqual([]);
    writeFileSync(join(xdg, 'git/ignore'), '');
    expect(settled('the global excludes file emptied')).toEqual(['a']);
    // core.excludesFile in .git/config, then the file it names edited.
    // Outside the work tree, in a folder the test kit removes.
    const excludes = join(tempDir('kiln-excludes-'), 'excludes');
    writeFileSync(excludes, '');
    r.git('config', 'core.excludesFile', excludes);
    expect(settled('core.excludesFile set')).toEqual(['a']);
    writeFileSync(excludes, 'new.ts\n');
    expect(agrees('the file core.excludesFile names')).toEqual([]);
    r.git('config', '--unset', 'core.excludesFile');
    expect(settled('core.excludesFile unset')).toEqual(['a']);
    // A folder `gen/` ignores only in another case: git (core.ignorecase unset) reports it, so the daemon must see it.
    r.git('add', '-A');
    r.git('commit', '-qm', 'new');
    expect(settled('committed')).toEqual([]);
    mkdirSync(join(r.dir, 'p/b/Gen'));
    writeFileSync(join(r.dir, 'p/b/Gen/x.ts'), 'export const x = 1;\n');
    expect(agrees('a folder gen/ matches only ignoring case')).toEqual(['b']);
    expect(settled('Gen/ seen')).toEqual(['b']);
    r.git('config', 'core.ignorecase', 'true');
    expect(agrees('core.ignorecase set')).toEqual([]);
  }, 90_000);

  it('watches a file force-added under an ignored folder after the daemon started', () => {
    mkdirSync(join(r.dir, 'p/a/gen'));
    writeFileSync(join(r.dir, 'p/a/gen/x.ts'), 'export const x = 1;\n');
    expect(settled('an ignored file')).toEqual([]);
    r.git('add', '-f', 'p/a/gen/x.ts');
    r.git('commit', '-qm', 'force-added');
    expect(settled('force-added and committed')).toEqual([]);
    writeFileSync(join(r.dir, 'p/a/gen/x.ts'), 'export const x = 2;\n');
    expect(agrees('the force-added file edited')).toEqual(['a']);
  }, 60_000);
});
