import { describe, expect, it } from 'vitest';
import { batchKind } from './reload.js';

const none = (): boolean => false;

describe('batchKind', () => {
  it('keeps sources, nested tsconfigs and other files in memory', () => {
    expect(batchKind(['p/a/src/index.ts', 'p/a/tsconfig.lib.json', 'README.md'], none)).toEqual({ reload: false, relist: false, direct: false });
  });
  it('reloads and answers directly for files that shape the workspace or plugin configs', () => {
    for (const path of ['p/a/project.json', 'p/a/package.json', 'nx.json', 'package.json', 'tsconfig.base.json', 'pnpm-workspace.yaml'])
      expect(batchKind([path], none), path).toMatchObject({ reload: true, direct: true });
    expect(batchKind(['p/a/vite.config.ts'], (p) => p.endsWith('vite.config.ts'))).toMatchObject({ reload: true, direct: true });
  });
  it('answers a lockfile change directly without reloading the graph', () => {
    expect(batchKind(['package-lock.json'], none)).toEqual({ reload: false, relist: false, direct: true });
  });
  it("reads git's list of files again after an ignore file changes", () => {
    expect(batchKind(['.gitignore'], none)).toEqual({ reload: true, relist: true, direct: true });
    expect(batchKind(['p/a/.gitignore'], none)).toMatchObject({ relist: true });
    expect(batchKind(['.nxignore'], none)).toMatchObject({ relist: true, reload: true });
  });
});
