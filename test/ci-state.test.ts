/**
 * The affected state shared by commit, end to end: `kiln ci state save` on the main branch keeps
 * it in the cache folder (shared by two clones here through `kiln.cacheDirectory`, standing in for
 * a remote cache); a fresh clone's `kiln affected` loads it and rescans only what differs, with
 * the same answer as a clone that scans everything (a new commit on the base branch, from its
 * parent's state); a damaged state is refused with a warning.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, git, runKiln, tempDir, type TempRepo } from './helpers/repo.js';

function workspace(cacheDirectory: string) {
  const tree: Record<string, string | object> = {
    'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
    'nx.json': { kiln: { cacheDirectory } },
    '.gitignore': '.kiln\n',
    '.github/CODEOWNERS': '* @org/all\npackages/cli/ @org/cli\n',
  };
  for (const [name, imports] of Object.entries({ core: [], util: ['core'], api: ['util'], web: ['api'], cli: [], docs: [] })) {
    tree[`packages/${name}/package.json`] = { name, version: '1.0.0' };
    tree[`packages/${name}/src/index.ts`] = `${imports.map((i) => `import { x } from '${i}';\n`).join('')}export const ${name} = 1;\n`;
  }
  return tree;
}

describe('the shared affected state', () => {
  let main: TempRepo;
  let states: string;
  const clone = (): string => {
    const dir = join(tempDir(), 'clone');
    git(main.dir, ['clone', '-q', main.dir, dir]);
    return dir;
  };
  /** A clone with a branch whose commit makes cli import util. */
  const branchClone = (): string => {
    const dir = clone();
    writeFileSync(join(dir, 'packages/cli/src/index.ts'), "import { x } from 'util';\nexport const cli = 2;\n");
    git(dir, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'cli uses util']);
    return dir;
  };
  const affected = (cwd: string) => runKiln(['affected', '--base', 'origin/main', '--head', 'HEAD', '--json'], { cwd, env: { KILN_TRACE: '1' } });

  beforeAll(() => {
    const cache = join(tempDir('kiln-shared-cache-'), 'cache');
    states = join(cache, 'states');
    main = createRepo(workspace(cache));
  });
  afterAll(() => main.cleanup());

  it('saves the state of a clean commit into the cache folder, and refuses a dirty work tree', () => {
    main.write({ 'packages/docs/README.md': 'draft\n' });
    const dirty = main.kiln(['ci', 'state', 'save']);
    expect(dirty.code).toBe(2);
    expect(dirty.stderr).toContain('the work tree has 1 changed file(s)');
    rmSync(join(main.dir, 'packages/docs/README.md'));
    const r = main.kiln(['ci', 'state', 'save', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const saved = r.json<{ commit: string; key: string; stored: string[] }>();
    expect(saved.commit).toBe(main.git('rev-parse', 'HEAD').trim());
    expect(readdirSync(states)).toEqual([`${saved.key}.json.gz`]);
  });

  it("a fresh clone loads the merge-base's state, rescans only what differs, and answers as a full scan does", () => {
    const withState = branchClone();
    const shared = affected(withState);
    expect(shared.code, shared.stderr).toBe(0);
    expect(shared.stderr).toMatch(/shared graph state of [0-9a-f]{12} from the cache folder's states\//);
    expect(shared.stderr).toContain('graph (updated)');
    expect(existsSync(join(withState, '.kiln/affected-state.json'))).toBe(true);
    // Every project's owners came with the state (a clone that works them out fills in only the projects it was asked about).
    const owners = (dir: string): string[] => Object.keys(JSON.parse(readFileSync(join(dir, '.kiln/affected-owners.json'), 'utf8')).owners).sort();
    expect(owners(withState)).toEqual(['api', 'cli', 'core', 'docs', 'util', 'web']);

    // The same change judged by a clone that has to scan everything.
    const saved = readdirSync(states);
    const aside = `${states}.aside`;
    renameSync(states, aside);
    try {
      const fullClone = branchClone();
      const full = affected(fullClone);
      expect(full.stderr).toContain('graph (built)');
      expect(shared.json().projects).toEqual(full.json().projects);
      expect(shared.json().projects).toEqual(['cli']);
      expect(owners(fullClone)).toEqual(['cli']);
      expect(shared.json().owners).toEqual(full.json().owners);
      expect(shared.json().owners).toEqual({ cli: ['@org/cli'] });
    } finally {
      renameSync(aside, states);
    }
    expect(readdirSync(states)).toEqual(saved);
  });

  it("a new commit on the base branch itself loads its parent's state (its merge-base with the base is itself)", () => {
    const dir = clone();
    writeFileSync(join(dir, 'packages/cli/src/index.ts'), "import { x } from 'util';\nexport const cli = 3;\n");
    git(dir, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'cli uses util, on main']);
    const parent = main.git('rev-parse', 'HEAD').trim();
    const r = runKiln(['affected', '--base', 'main', '--head', 'HEAD', '--json'], { cwd: dir, env: { KILN_TRACE: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`shared graph state of ${parent.slice(0, 12)} from the cache folder's states/`);
    expect(r.stderr).toContain('graph (updated)');
    // Base and head are one commit: nothing is affected, whatever state the graph came from.
    expect(r.json().projects).toEqual([]);
  });

  it('moves a state by file, and refuses a damaged or foreign one', () => {
    const file = join(tempDir(), 'state.json.gz');
    expect(main.kiln(['ci', 'state', 'save', '--file', file]).code).toBe(0);
    const dir = branchClone();
    const loaded = runKiln(['ci', 'state', 'load', '--file', file], { cwd: dir });
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(affected(dir).stderr).toContain('graph (updated)');
    writeFileSync(file, 'not gzip');
    const bad = runKiln(['ci', 'state', 'load', '--file', file], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('does not read back whole');
    // A damaged entry in the cache folder: a warning, then the full scan, and the same answer.
    for (const name of readdirSync(states)) writeFileSync(join(states, name), 'garbage');
    const fresh = affected(branchClone());
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).toMatch(/shared graph state of [0-9a-f]{12} in the cache folder's states\/ is not used: it does not read back whole/);
    expect(fresh.stderr).toContain('graph (built)');
    expect(fresh.json().projects).toEqual(['cli']);
  });
});
