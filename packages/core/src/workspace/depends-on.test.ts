import { describe, expect, it } from 'vitest';
import { buildWorkspace } from './projects.js';

function problems(files: Record<string, string>): string[] {
  const r = buildWorkspace({ root: '/ws', files: Object.keys(files).sort(), read: (p) => files[p] });
  return r.ok ? [] : r.error.map((d) => `${d.location?.file}:${d.location?.line}:${d.location?.column} ${d.message}`);
}

const base = { 'package.json': '{"name": "r", "workspaces": ["p/*"]}' };

describe('dependsOn naming a target the project does not have', () => {
  it('in project.json or package.json "nx": an error at the entry, with the nearest target', () => {
    expect(
      problems({
        ...base,
        'p/a/project.json': '{\n  "name": "a",\n  "targets": {\n    "generate": { "command": "true" },\n    "build": { "command": "true", "dependsOn": ["^build", "genrate", { "target": "lint" }] }\n  }\n}',
        'p/b/package.json': '{ "name": "b", "scripts": { "build": "true" }, "nx": { "targets": { "build": { "dependsOn": ["prebuild"] } } } }',
      }),
    ).toEqual([
      'p/a/project.json:5:59 "targets.build.dependsOn[1]" names "genrate", but project "a" has no such target. Did you mean "generate"?',
      'p/a/project.json:5:70 "targets.build.dependsOn[2]" names "lint", but project "a" has no such target.',
      'p/b/package.json:1:94 "nx.targets.build.dependsOn[0]" names "prebuild", but project "b" has no such target. Did you mean "build"?',
    ]);
  });

  it('a target the project has from anywhere (a script, project.json, package.json "nx") is found', () => {
    expect(
      problems({
        ...base,
        'p/a/package.json': '{ "name": "a", "scripts": { "gen": "true", "build": "true" } }',
        'p/a/project.json': '{ "targets": { "build": { "dependsOn": ["gen", "lint", { "target": "gen", "projects": "self" }] }, "lint": { "command": "true" } } }',
      }),
    ).toEqual([]);
  });

  it('entries from targetDefaults, naming other projects, or globs stay optional, as in Nx', () => {
    expect(
      problems({
        ...base,
        'nx.json': '{ "targetDefaults": { "build": { "dependsOn": ["codegen", "^build"] } } }',
        'p/a/package.json': '{ "name": "a", "scripts": { "build": "true" } }',
        'p/b/project.json': '{ "name": "b", "targets": { "build": { "command": "true", "dependsOn": ["^lint", "build-*", { "target": "x", "dependencies": true }] } } }',
      }),
    ).toEqual([]);
  });
});
