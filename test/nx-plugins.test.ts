/**
 * nx.json plugins, run as Nx runs them, on local plugins written for the test: targets a plugin
 * infers are merged under package.json and project.json (a package.json target the plugin
 * completes is no nx:noop), options and include/exclude reach it, the cache spares a warm read
 * any plugin start, and a missing or failing plugin is a warning naming it with the safe answer.
 * (Real @nx plugins against real nx: nx-plugins-slow.test.ts.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, tempDir, type FileTree, type TempRepo } from './helpers/repo.js';

/** A createNodesV2 plugin: a target per `build.config.json`, its command and inputs from the file; each load and run is logged. */
const pluginSource = `
const { readFileSync, appendFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const log = (line) => process.env.PLUGIN_LOG && appendFileSync(process.env.PLUGIN_LOG, line + '\\n');
log('load');
exports.name = 'config-plugin';
exports.createNodesV2 = ['**/build.config.json', async (files, options, context) => {
  log('run ' + files.join(','));
  if (!context.nxJsonConfiguration || context.workspaceRoot !== process.cwd()) throw new Error('bad context');
  // Like many plugins, it passes over some matched files without a word (the cache must remember that too).
  return files.filter((file) => !file.startsWith('tools/')).map((file) => {
    const config = JSON.parse(readFileSync(join(context.workspaceRoot, file), 'utf8'));
    const root = dirname(file);
    return [file, { projects: { [root]: { tags: ['inferred'], targets: {
      [options?.targetName ?? 'build']: { command: config.command, inputs: config.inputs ?? ['default'], outputs: ['{projectRoot}/out'], cache: true },
    } } } }];
  });
}];
`;

const crashingPlugin = `exports.createNodesV2 = ['**/package.json', () => { process.exit(3); }];`;

function workspace(extra: FileTree = {}): FileTree {
  return {
    '.gitignore': 'node_modules\n.kiln\nout\n',
    'package.json': { name: 'ws', private: true, workspaces: ['packages/*'] },
    'nx.json': { plugins: [{ plugin: './tools/config-plugin', options: { targetName: 'build' }, exclude: ['packages/skipped/**'] }] },
    'tools/config-plugin/package.json': { name: 'config-plugin', version: '1.0.0', main: 'index.js' },
    'tools/config-plugin/index.js': pluginSource,
    'tools/build.config.json': { command: 'not a project' },
    'packages/a/package.json': { name: 'a', version: '1.0.0', nx: { targets: { build: { dependsOn: ['^build'] } } } },
    'packages/a/build.config.json': { command: 'node -e "require(`fs`).mkdirSync(`out`,{recursive:true})"' },
    'packages/a/src/index.ts': 'export const a = 1;\n',
    'packages/b/package.json': { name: 'b', version: '1.0.0', dependencies: { a: '*' } },
    'packages/b/build.config.json': { command: 'echo b', inputs: ['{projectRoot}/src/**/*', '{workspaceRoot}/shared/setting.txt'] },
    'shared/setting.txt': 'one\n',
    'packages/b/src/index.ts': "import { a } from 'a';\nexport const b = a;\n",
    'packages/skipped/package.json': { name: 'skipped', version: '1.0.0' },
    'packages/skipped/build.config.json': { command: 'echo skipped' },
    ...extra,
  };
}

let repo: TempRepo;
let log: string;
const env = () => ({ PLUGIN_LOG: log });
const loads = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

beforeAll(() => {
  repo = createRepo(workspace());
  log = join(tempDir(), 'plugin.log');
});
afterAll(() => repo.cleanup());

describe('nx.json plugins', () => {
  it('merges inferred targets under package.json: a target the plugin completes runs its command, not nx:noop', () => {
    const r = repo.kiln(['graph', '--json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const nodes = r.json().nodes;
    expect(nodes.a.data.targets.build).toMatchObject({ executor: 'nx:run-commands', dependsOn: ['^build'], outputs: ['{projectRoot}/out'], cache: true });
    expect(nodes.a.data.tags).toContain('inferred');
    expect(nodes.b.data.targets.build.options.command).toBe('echo b');
    expect(nodes.b.data.targets.build.inputs).toEqual(['{projectRoot}/src/**/*', '{workspaceRoot}/shared/setting.txt']);
    // nx.json's exclude keeps the plugin away from packages/skipped.
    expect(nodes.skipped.data.targets.build).toBeUndefined();
    expect(loads()).toEqual(['load', 'run packages/a/build.config.json,packages/b/build.config.json,tools/build.config.json']);
  });

  it('answers a warm read from the cache without starting the plugin, and reruns it only for a changed config file', () => {
    expect(repo.kiln(['projects', '--json'], { env: env() }).code).toBe(0);
    expect(loads()).toHaveLength(2);
    repo.write({ 'packages/b/build.config.json': { command: 'echo b2' } });
    const r = repo.kiln(['graph', '--json'], { env: env() });
    expect(r.json().nodes.b.data.targets.build.options.command).toBe('echo b2');
    expect(loads().slice(2)).toEqual(['load', 'run packages/b/build.config.json']);
    repo.git('checkout', '--', '.');
  });

  it('runs an inferred target, and kiln affected follows the inputs a plugin infers', () => {
    const run = repo.kiln(['run', '-t', 'build', '-p', 'b'], { env: env() });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/^b:build b$/m);
    repo.kiln(['affected', '--json'], { env: env() });
    // A root file only b's inferred inputs name: b alone, warm (the saved graph state) as cold.
    repo.write({ 'shared/setting.txt': 'two\n' });
    for (const run of [1, 2]) {
      const affected = repo.kiln(['affected', '--json'], { env: env() });
      expect(affected.code, affected.stderr).toBe(0);
      expect(affected.json().projects, `run ${run}`).toEqual(['b']);
    }
    repo.git('checkout', '--', '.');
  });

  it('warns, naming it, when a plugin is missing or crashes, and still answers', () => {
    const broken = createRepo(
      workspace({
        'nx.json': { plugins: ['@acme/not-installed', './tools/crash', './tools/ts-plugin/index.ts', './tools/config-plugin'] },
        'tools/crash/index.js': crashingPlugin,
        'tools/ts-plugin/index.ts': "export const createNodesV2 = ['**/x.json', async () => [] as unknown[]];\n",
      }),
    );
    try {
      const r = broken.kiln(['graph', '--json'], { env: env() });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/warning the Nx plugin @acme\/not-installed is not installed/);
      expect(r.stderr).toMatch(/warning the Nx plugin \.\/tools\/crash (could not run|failed).*exited \(code 3\)/s);
      // A TypeScript plugin needs the workspace's own transpiler, as in Nx; this workspace has none.
      expect(r.stderr).toMatch(/the Nx plugin \.\/tools\/ts-plugin\/index\.ts could not run: .*is TypeScript, and the workspace has neither @swc-node\/register nor ts-node/);
      // The plugin that works still gives its targets.
      expect(r.json().nodes.a.data.targets.build.executor).toBe('nx:run-commands');
      // Affected takes the safe side: with a plugin unknown, every project.
      broken.commit('base');
      broken.write({ 'packages/a/src/index.ts': 'export const a = 2;\n' });
      const affected = broken.kiln(['affected', '--json'], { env: env() });
      expect(affected.code, affected.stderr).toBe(0);
      expect(affected.json().projects).toEqual(['a', 'b', 'skipped']);
      expect(affected.json().diagnostics).toContainEqual(expect.objectContaining({ code: 'nx-plugin-failed', message: expect.stringContaining('@acme/not-installed') }));
    } finally {
      broken.cleanup();
    }
  });
});
