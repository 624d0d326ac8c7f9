import { describe, expect, it } from 'vitest';
import { dependencyClosure, findProjects, type ReleaseContext } from './context.js';

const project = (name: string, dependencies: string[] = []) => ({ name, root: `libs/${name}`, tags: [], dependencies, targets: {} });
const ctx: ReleaseContext = { root: '/ws', nxJson: {}, projects: [project('api', ['money']), project('catalog', ['api']), project('money'), project('web')] };

describe('release context lookups', () => {
  it('finds projects by name, in the order asked', () => {
    const r = findProjects(ctx, ['web', 'api']);
    expect(r.ok && r.value.map((p) => p.name)).toEqual(['web', 'api']);
  });

  it('names every unknown project with the nearest valid name, and every one not allowed', () => {
    const r = findProjects(ctx, ['catalgo', 'web', 'money'], ['catalog', 'web'], 'release project');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.map((d) => [d.code, d.message, d.hint])).toEqual([
      ['unknown-project', 'there is no project "catalgo". Did you mean "catalog"?', undefined],
      ['not-a-release-project', 'project "money" is not a release project.', 'release projects: catalog, web.'],
    ]);
  });

  it('closes over dependencies, sorted, through any depth', () => {
    expect(dependencyClosure(ctx, 'catalog')).toEqual(['api', 'catalog', 'money']);
    expect(dependencyClosure(ctx, 'web')).toEqual(['web']);
  });
});
