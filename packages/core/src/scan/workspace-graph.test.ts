/** Edge test: the one-pass load of `kiln graph` against reading the workspace, then scanning for its graph. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from '../../../../test/helpers/repo.js';
import { listFiles } from '../scm/index.js';
import { readWorkspace } from '../workspace/index.js';
import { projectGraph } from './project-graph.js';
import { loadWorkspaceAndGraph } from './workspace-graph.js';

let repo: TempRepo;
beforeAll(() => {
  repo = createRepo({
    'package.json': { name: 'ws', private: true, workspaces: ['libs/*'] },
    'tsconfig.base.json': { compilerOptions: { paths: { '@alias/c': ['libs/c/src/index.ts'] } } },
    'libs/a/package.json': { name: '@t/a', dependencies: { '@t/b': '*' } },
    'libs/a/src/index.ts': "import { b } from '@t/b';\nexport const lazy = () => import('@t/c/deep');\nimport x from 'lodash/fp';\n",
    'libs/b/package.json': { name: '@t/b' },
    'libs/b/src/index.ts': "import '@alias/c';\nimport '../../c/src/index';\nexport const b = 1;\n",
    'libs/c/package.json': { name: '@t/c', nx: { implicitDependencies: ['@t/a'] } },
    'libs/c/src/index.ts': "// import '@t/b'\nconst s = \"require('@t/a')\";\n",
  });
  repo.write({ 'libs/c/src/untracked.ts': "export * from '@t/b';\n" });
});
afterAll(() => repo.cleanup());

describe('loadWorkspaceAndGraph', () => {
  // In this thread only: worker threads load the compiled modules (test/graph.test.ts runs the binary with them).
  it('gives the same workspace and graph as loadWorkspace then projectGraph', async () => {
    process.env.KILN_SCAN_THREADS = '1';
    try {
      const ws = readWorkspace(repo.dir, await listFiles(repo.dir));
      const expected = await projectGraph(ws);
      const { workspace, graph } = await loadWorkspaceAndGraph(repo.dir);
      expect([...workspace.projects.keys()]).toEqual([...ws.projects.keys()]);
      expect(graph).toEqual(expected);
      expect(graph.dependencies.get('@t/a' as never)?.map((e) => `${e.target}:${e.type}`).sort()).toEqual(['@t/b:static', '@t/c:dynamic']);
      expect(graph.dependencies.get('@t/c' as never)?.map((e) => `${e.target}:${e.type}`).sort()).toEqual(['@t/a:implicit', '@t/b:static']);
    } finally {
      delete process.env.KILN_SCAN_THREADS;
    }
  });
});
