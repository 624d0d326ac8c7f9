/**
 * Edge test: the owners of projects from an owners source (the plain data a saved graph state can
 * keep) are those of the loaded workspace, so `kiln affected` need not load it again for them.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from '../../../../test/helpers/repo.js';
import { loadWorkspace } from './load-workspace.js';
import { ownersSourceOf } from './owners-generate.js';
import { ownersOfProjects, ownersOfProjectsIn } from './project-owners.js';

let repo: TempRepo;
beforeAll(() => {
  repo = createRepo({
    'nx.json': { owners: { patterns: [{ projects: ['tag:money'], owners: ['@org/finance'] }] } },
    'package.json': { name: 'root', private: true, workspaces: ['libs/*'] },
    'libs/ledger/package.json': { name: 'ledger', nx: { tags: ['money'] } },
    'libs/books/project.json': { name: 'books', owners: { '**/*': ['@ahmed'] } },
    'libs/plain/package.json': { name: 'plain' },
  });
});
afterAll(() => repo.cleanup());

describe('ownersOfProjectsIn', () => {
  it('gives, from the owners source after a JSON round trip, the owners ownersOfProjects gives from the workspace', async () => {
    const ws = await loadWorkspace(repo.dir);
    const source = JSON.parse(JSON.stringify(ownersSourceOf(ws)));
    const fromWorkspace = await ownersOfProjects(ws);
    expect(Object.fromEntries(fromWorkspace)).toEqual({ ledger: ['@org/finance'], books: ['@ahmed'], plain: [] });
    expect(await ownersOfProjectsIn(source)).toEqual(fromWorkspace);
    expect([...(await ownersOfProjectsIn(source, ['books'])).entries()]).toEqual([['books', ['@ahmed']]]);
  });

  it('needs only names and roots when there is a CODEOWNERS file', async () => {
    repo.write({ CODEOWNERS: '* @org/all\n/libs/plain/ @org/plain\n' });
    try {
      const bare = { root: repo.dir, nxOwners: undefined, projects: [{ name: 'plain', root: 'libs/plain', tags: [], owners: undefined, file: 'libs/plain/package.json' }] };
      expect(Object.fromEntries(await ownersOfProjectsIn(bare))).toEqual({ plain: ['@org/plain'] });
    } finally {
      rmSync(join(repo.dir, 'CODEOWNERS'));
    }
  });
});
