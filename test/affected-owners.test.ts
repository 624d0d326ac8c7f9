/**
 * `kiln affected --json` without a CODEOWNERS file: owners generated from the project
 * configuration are saved under the graph state's digest of that configuration, so a warm run
 * reads none of it, and an edit to a project's owners is seen at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from './helpers/repo.js';

let repo: TempRepo;
beforeAll(() => {
  repo = createRepo({
    'nx.json': { owners: { patterns: [{ projects: ['tag:money'], owners: ['@org/finance'] }] } },
    'package.json': { name: 'root', private: true, workspaces: ['libs/*'] },
    'libs/ledger/package.json': { name: 'ledger', nx: { tags: ['money'] } },
    'libs/ledger/src/index.ts': 'export const a = 1;\n',
    'libs/books/project.json': { name: 'books', owners: { '**/*': ['@ahmed'] } },
    'libs/books/src/index.ts': 'export const b = 1;\n',
  });
});
afterAll(() => repo.cleanup());

const owners = (): Record<string, string[]> => {
  const run = repo.kiln(['affected', '--json']);
  expect(run.code, run.stderr).toBe(0);
  return run.json<{ owners: Record<string, string[]> }>().owners;
};

describe('kiln affected --json: generated owners', () => {
  it('are the owners the settings generate, cold, warm and after an edit to them', () => {
    repo.write({ 'libs/ledger/src/index.ts': 'export const a = 2;\n', 'libs/books/src/index.ts': 'export const b = 2;\n' });
    expect(owners()).toEqual({ books: ['@ahmed'], ledger: ['@org/finance'] });
    // warm: from the saved owners (the workspace's configuration is not read again)
    expect(owners()).toEqual({ books: ['@ahmed'], ledger: ['@org/finance'] });
    repo.write({ 'libs/books/project.json': { name: 'books', owners: { '**/*': ['@bea'] } } });
    expect(owners()).toEqual({ books: ['@bea'], ledger: ['@org/finance'] });
    repo.write({ 'libs/ledger/package.json': { name: 'ledger', nx: { tags: [] } }, 'libs/books/project.json': { name: 'books', tags: ['money'], owners: { '**/*': ['@bea'] } } });
    // books' own "**/*" line comes after nx.json's patterns and decides its root (as `kiln projects` says)
    expect(owners()).toEqual({ books: ['@bea'], ledger: [] });
  });
});
