/**
 * Agreement with the reference: on a generated workspace (package.json and project.json projects,
 * tsconfig path aliases, imports declared or not in package.json, a nested project, unowned root
 * files), kiln's project-level affected set equals `nx show projects --affected` for random change
 * sets (edits, spec-only edits, new, deleted and renamed files, moves across projects).
 *
 * Deliberate differences, kept out of the random sets and tested in affected.test.ts instead:
 * - a lockfile change: kiln affects the projects reaching a changed package; Nx in
 *   `projectsAffectedByDependencyUpdates: "auto"` reads only pnpm importers (nothing for npm), and
 *   in its default "all" marks everything;
 * - root package.json, root tsconfig and nx.json: kiln narrows field by field; Nx marks every
 *   project for any nx.json change and for any non-`paths` tsconfig change;
 * - a deleted project config: kiln affects the projects that used it; Nx marks everything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkNodeModules, runNx } from './helpers/nx.js';
import { createRepo, removePaths, type FileTree, type TempRepo } from './helpers/repo.js';

/** mulberry32: a small seeded generator, so a failing change set can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]! };
}

interface Generated {
  files: FileTree;
  sources: string[];
}

function generate(seed: number): Generated {
  const rnd = prng(seed);
  const files: FileTree = {};
  const sources: string[] = [];
  const paths: Record<string, string[]> = {};
  const libs: { name: string; alias: string; root: string }[] = [];
  for (let i = 0; i < 16; i++) {
    const root = `libs/l${i}`;
    const alias = `@gen/l${i}`;
    const viaPackageJson = i % 3 !== 2;
    const name = viaPackageJson ? alias : `l${i}`;
    const deps = i === 0 ? [] : [...new Set([rnd.int(0, i - 1), ...(rnd.next() < 0.5 ? [rnd.int(0, i - 1)] : [])])];
    const declared: Record<string, string> = {};
    const imports: string[] = [];
    for (const d of deps) {
      const dep = libs[d]!;
      imports.push(`import * as d${d} from '${dep.alias}';`);
      // Some imports are declared in package.json, some not: the graph must see both.
      if (viaPackageJson && dep.alias === dep.name && rnd.next() < 0.5) declared[dep.alias] = '*';
    }
    if (viaPackageJson) files[`${root}/package.json`] = { name, version: '1.0.0', dependencies: declared, scripts: { build: 'echo build' } };
    else files[`${root}/project.json`] = { name, sourceRoot: `${root}/src`, targets: { build: { command: 'echo build' } } };
    files[`${root}/src/index.ts`] = `${imports.join('\n')}\nexport const v${i} = ${i};\n`;
    files[`${root}/src/util.ts`] = `export const u${i} = 1;\n`;
    files[`${root}/src/util.spec.ts`] = `import { u${i} } from './util';\n`;
    files[`${root}/README.md`] = `# l${i}\n`;
    sources.push(`${root}/src/index.ts`, `${root}/src/util.ts`, `${root}/src/util.spec.ts`, `${root}/README.md`);
    paths[alias] = [`${root}/src/index.ts`];
    libs.push({ name, alias, root });
  }
  for (let i = 0; i < 5; i++) {
    const root = `apps/app${i}`;
    const uses = [...new Set([rnd.int(0, 15), rnd.int(0, 15)])];
    files[`${root}/project.json`] = { name: `app${i}`, projectType: 'application', targets: { build: { command: 'echo build' } } };
    files[`${root}/src/main.ts`] = uses.map((u) => `import '${libs[u]!.alias}';`).join('\n') + '\n';
    sources.push(`${root}/src/main.ts`);
  }
  // A project nested inside another's folder: its files are its own.
  files['libs/l3/plugins/p/project.json'] = { name: 'l3-plugin' };
  files['libs/l3/plugins/p/src/index.ts'] = "import '@gen/l1';\n";
  sources.push('libs/l3/plugins/p/src/index.ts');
  files['tools/script.ts'] = 'export {};\n';
  sources.push('tools/script.ts');
  files['package.json'] = { name: 'gen', private: true, workspaces: ['libs/*'] };
  files['nx.json'] = {
    pluginsConfig: { '@nx/js': { analyzeSourceFiles: true, projectsAffectedByDependencyUpdates: 'auto' } },
    namedInputs: { default: ['{projectRoot}/**/*'], production: ['default', '!{projectRoot}/**/*.spec.ts', '!{projectRoot}/README.md'] },
    targetDefaults: { build: { dependsOn: ['^build'], inputs: ['production', '^production'] } },
  };
  files['tsconfig.base.json'] = { compilerOptions: { baseUrl: '.', paths } };
  files['.gitignore'] = 'node_modules\n.nx\n';
  return { files, sources };
}

describe('kiln affected agrees with nx show projects --affected', () => {
  let repo: TempRepo;
  let gen: Generated;
  beforeAll(() => {
    gen = generate(7);
    repo = createRepo(gen.files);
    linkNodeModules(repo, 'nx');
  });
  afterAll(() => repo?.cleanup());

  const nx = async (base: string, head: string, withTarget?: string): Promise<string[]> => {
    const args = ['show', 'projects', '--affected', `--base=${base}`, `--head=${head}`, ...(withTarget ? ['--withTarget', withTarget] : []), '--json'];
    const r = await runNx(repo, args, { NX_SKIP_NX_CACHE: 'true' });
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as string[]).sort();
  };

  it('on random change sets', async () => {
    const rnd = prng(42);
    const disagreements: string[] = [];
    let taskSetsCompared = 0;
    for (let k = 0; k < 8; k++) {
      repo.git('checkout', '-q', 'main');
      repo.git('checkout', '-q', '-b', `change-${k}`);
      const described: string[] = [];
      for (let n = rnd.int(1, 3); n > 0; n--) {
        const file = rnd.pick(gen.sources);
        const op = rnd.pick(['edit', 'edit', 'import', 'add', 'delete', 'rename']);
        if (op === 'edit') repo.write({ [file]: `// change ${k}\nexport const changed${k} = ${n};\n` });
        else if (op === 'import') repo.write({ [file.replace(/[^/]+$/, `uses${k}.ts`)]: `import '@gen/l${rnd.int(0, 15)}';\n` });
        else if (op === 'add') repo.write({ [file.replace(/[^/]+$/, `new${k}.ts`)]: 'export {};\n' });
        else if (op === 'delete') removePaths(repo.dir, [file]);
        else {
          const target = rnd.pick(gen.sources).replace(/[^/]+$/, `moved${k}.ts`);
          try {
            repo.git('mv', '-f', file, target);
          } catch {
            continue; // already gone in this change set
          }
        }
        described.push(`${op} ${file}`);
      }
      repo.commit(`change ${k}`);
      const expected = await nx('main', 'HEAD');
      const run = repo.kiln(['affected', '--base', 'main', '--head', 'HEAD', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const actual = run.json<{ projects: string[] }>().projects;
      if (process.env.AFFECTED_NX_DEBUG) console.log(k, described, actual.length, expected.length);
      if (JSON.stringify(actual) !== JSON.stringify(expected))
        disagreements.push(`change set ${k} (${described.join(', ')}): kiln ${JSON.stringify(actual)} nx ${JSON.stringify(expected)}`);
      // Task level: when every changed file is a production input, kiln's affected build tasks are
      // the build tasks of the projects Nx selects. (A spec or README change is where kiln is
      // deliberately narrower: see affected.test.ts.)
      const changedFiles = repo.git('diff', '--name-only', '--no-renames', 'main', 'HEAD').trim().split('\n');
      if (changedFiles.every((f) => /\.ts$/.test(f) && !/\.spec\.ts$/.test(f) && !f.startsWith('tools/'))) {
        const tasks = repo.kiln(['affected', '--base', 'main', '--head', 'HEAD', '-t', 'build', '--json']).json<{ tasks: string[] }>().tasks;
        const nxTasks = (await nx('main', 'HEAD', 'build')).map((p) => `${p}:build`).sort();
        taskSetsCompared++;
        if (JSON.stringify(tasks) !== JSON.stringify(nxTasks)) disagreements.push(`tasks of change set ${k} (${described.join(', ')}): kiln ${JSON.stringify(tasks)} nx ${JSON.stringify(nxTasks)}`);
      }
    }
    expect(disagreements).toEqual([]);
    expect(taskSetsCompared).toBeGreaterThan(0);
    // 8 change sets, some 12 nx runs: 60 s on a 2-core machine at load average 13.
  }, 180_000);
});
