/** A small workspace for run and cache tests: a ← b (b depends on a), c alone, d with a project.json nx:run-commands target. */
import type { FileTree } from './repo.js';

export function sampleWorkspace(): FileTree {
  const build = (extra = '') => `mkdir -p dist && cat src/*.txt ${extra} > dist/out.txt && echo "built $npm_package_name via $npm_lifecycle_event"`;
  return {
    'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
    'nx.json': {
      namedInputs: { production: ['default', '!{projectRoot}/**/*.md'] },
      targetDefaults: {
        build: { dependsOn: ['^build'], cache: true, inputs: ['production', '^production'], outputs: ['{projectRoot}/dist'] },
        test: { cache: true },
      },
    },
    '.gitignore': 'dist\ngen\n.kiln\n',
    'packages/a/package.json': { name: 'a', version: '1.0.0', scripts: { build: build() } },
    'packages/a/src/a.txt': 'A\n',
    'packages/a/README.md': 'docs\n',
    'packages/b/package.json': { name: 'b', version: '2.0.0', dependencies: { a: '*' }, scripts: { build: build('../a/dist/out.txt'), test: 'exit 3' } },
    'packages/b/src/b.txt': 'B\n',
    'packages/c/package.json': { name: 'c', version: '1.0.0', scripts: { build: build() } },
    'packages/c/src/c.txt': 'C\n',
    'packages/d/project.json': {
      name: 'd',
      targets: {
        gen: {
          executor: 'nx:run-commands',
          cache: true,
          outputs: ['{projectRoot}/gen'],
          options: { commands: ['mkdir -p packages/d/gen', 'echo one > packages/d/gen/1.txt'], parallel: false },
        },
        build: { command: 'cat packages/d/gen/1.txt', dependsOn: ['gen'], cache: true },
      },
    },
  };
}
