/**
 * Agreement with Nx: on one generated workspace, after each change, the set of build tasks kiln
 * reruns (cache misses) equals the set `nx run-many -t build` reruns, for the same inputs
 * configuration (named inputs with negation, `^` dependency inputs, untracked files).
 * Each build script appends its project's name to a log named by the tool running it, so the
 * sets compared are the scripts that actually ran.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkNodeModules, runNx } from './helpers/nx.js';
import { createRepo, type TempRepo } from './helpers/repo.js';

const N = 8;
/** p(i) depends on p(i-1) and, for even i, p(i-2): a small diamond-rich graph. */
function workspace(): Record<string, string | object> {
  const files: Record<string, string | object> = {
    'package.json': { name: 'agree', private: true, workspaces: ['packages/*'] },
    'nx.json': {
      namedInputs: { default: ['{projectRoot}/**/*'], production: ['default', '!{projectRoot}/**/*.spec.js', '!{projectRoot}/README.md'] },
      targetDefaults: { build: { dependsOn: ['^build'], inputs: ['production', '^production'], outputs: ['{projectRoot}/dist'], cache: true } },
    },
    '.gitignore': 'node_modules\n.nx\n.kiln\ndist\nran-*.log\n',
  };
  for (let i = 0; i < N; i++) {
    const deps: Record<string, string> = {};
    if (i > 0) deps[`p${i - 1}`] = '*';
    if (i > 1 && i % 2 === 0) deps[`p${i - 2}`] = '*';
    files[`packages/p${i}/package.json`] = {
      name: `p${i}`,
      version: '1.0.0',
      dependencies: deps,
      scripts: { build: 'mkdir -p dist && cp src/index.js dist/index.js && echo $npm_package_name >> "$RAN_LOG"' },
    };
    files[`packages/p${i}/src/index.js`] = `export const v = ${i};\n`;
    files[`packages/p${i}/src/index.spec.js`] = `// test ${i}\n`;
    files[`packages/p${i}/README.md`] = `# p${i}\n`;
  }
  return files;
}

describe('kiln reruns what nx reruns', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo(workspace());
    linkNodeModules(repo, 'nx');
  });
  afterAll(() => repo?.cleanup());

  /** Runs each tool's full build and returns the projects whose build script ran, sorted. */
  const ran = async (tool: 'nx' | 'kiln'): Promise<string[]> => {
    const log = join(repo.dir, `ran-${tool}.log`);
    rmSync(log, { force: true });
    const env = { RAN_LOG: log };
    const r = await (tool === 'nx' ? runNx(repo, ['run-many', '-t', 'build', '--parallel=1'], env) : repo.startKiln(['run', '-t', 'build', '--parallel', '1'], { env }).done);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return existsSync(log) ? [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))].sort() : [];
  };

  // 6 full builds with each tool: 95 s on a 2-core machine at load average 13.
  it('after each of a series of changes', { timeout: 240_000 }, async () => {
    const all = Array.from({ length: N }, (_, i) => `p${i}`).sort();
    expect(await ran('nx')).toEqual(all);
    expect(await ran('kiln')).toEqual(all);
    expect([await ran('nx'), await ran('kiln')]).toEqual([[], []]);

    const changes: [string, () => void][] = [
      ['a source file in the middle of the chain', () => repo.write({ 'packages/p3/src/index.js': 'export const v = 33;\n' })],
      [
        'excluded files only (a spec, a README, a deleted spec)',
        () => {
          repo.write({ 'packages/p1/src/index.spec.js': '// changed\n', 'packages/p6/README.md': '# new\n' });
          rmSync(join(repo.dir, 'packages/p0/src/index.spec.js'));
        },
      ],
      [
        'a new untracked source file, and a package.json field elsewhere',
        () => repo.write({ 'packages/p6/src/extra.js': 'export {};\n', 'packages/p4/package.json': { ...(workspace()['packages/p4/package.json'] as object), description: 'x' } }),
      ],
      ['the root of the chain', () => repo.write({ 'packages/p0/src/index.js': 'export const v = 100;\n' })],
    ];
    const disagreements: string[] = [];
    for (const [what, change] of changes) {
      change();
      const nx = await ran('nx');
      const kiln = await ran('kiln');
      if (JSON.stringify(nx) !== JSON.stringify(kiln)) disagreements.push(`${what}: nx ${JSON.stringify(nx)} kiln ${JSON.stringify(kiln)}`);
    }
    expect(disagreements).toEqual([]);
  });
});
