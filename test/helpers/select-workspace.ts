/**
 * A workspace for selection tests that kiln, Nx and turbo all read as the same projects: npm
 * workspaces in nested folders (apps/, libs/, libs/shared/, services/, services/jobs/), scoped and
 * hyphenated names, Nx tags in package.json, and dependencies between them.
 */
import type { FileTree } from './repo.js';

interface Spec {
  readonly dir: string;
  readonly name: string;
  readonly tags: readonly string[];
  readonly deps: readonly string[];
}

export const selectProjects: readonly Spec[] = [
  { dir: 'apps/app-web', name: 'app-web', tags: ['type:app', 'scope:web'], deps: ['ui', '@org/utils'] },
  { dir: 'apps/app-web-e2e', name: 'app-web-e2e', tags: ['type:e2e', 'scope:web'], deps: ['app-web'] },
  { dir: 'apps/app-admin', name: 'app-admin', tags: ['type:app', 'scope:admin'], deps: ['ui', 'shared-ui-kit'] },
  { dir: 'libs/ui', name: 'ui', tags: ['type:lib', 'scope:shared'], deps: ['@org/utils'] },
  { dir: 'libs/utils', name: '@org/utils', tags: ['type:lib'], deps: [] },
  { dir: 'libs/shared/ui-kit', name: 'shared-ui-kit', tags: ['type:lib', 'scope:shared'], deps: ['ui'] },
  { dir: 'libs/legacy-utils', name: 'utils_legacy', tags: [], deps: [] },
  { dir: 'services/api', name: 'api', tags: ['type:service'], deps: ['@org/utils'] },
  { dir: 'services/jobs/worker', name: '@org/worker', tags: ['type:service', 'scope:jobs'], deps: ['api'] },
];

/** The workspace; `npmVersion` goes into packageManager, which turbo requires. */
export function selectWorkspace(npmVersion = '10.0.0'): FileTree {
  const files: FileTree = {
    'package.json': { name: 'select-root', private: true, workspaces: ['apps/*', 'libs/*', 'libs/shared/*', 'services/*', 'services/jobs/*'], packageManager: `npm@${npmVersion}` },
    'nx.json': { targetDefaults: { build: { dependsOn: ['^build'], cache: true } } },
    'turbo.json': { $schema: 'https://turborepo.com/schema.json', tasks: { build: { dependsOn: ['^build'] } } },
    '.gitignore': 'node_modules\n.nx\n.turbo\n.kiln\n',
  };
  const lock: Record<string, unknown> = { '': { name: 'select-root', workspaces: ['apps/*', 'libs/*', 'libs/shared/*', 'services/*', 'services/jobs/*'] } };
  for (const p of selectProjects) {
    const dependencies = Object.fromEntries(p.deps.map((d) => [d, '*']));
    files[`${p.dir}/package.json`] = { name: p.name, version: '1.0.0', dependencies, nx: { tags: p.tags }, scripts: { build: 'echo built' } };
    files[`${p.dir}/src/index.js`] = `export const name = ${JSON.stringify(p.name)};\n`;
    lock[p.dir] = { name: p.name, version: '1.0.0', dependencies };
    lock[`node_modules/${p.name}`] = { resolved: p.dir, link: true };
  }
  files['package-lock.json'] = { name: 'select-root', lockfileVersion: 3, requires: true, packages: lock };
  return files;
}
