/**
 * Task ids whose halves hold `:`, end to end: a project named `my:proj` (Nx allows it) and a
 * package.json script `build:prod`. Each id is read against the workspace's projects, by `kiln
 * run -p`, the `kiln PROJECT:TARGET` shorthand, `kiln hash` and `kiln why-miss`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, type KilnRun, type TempRepo } from './helpers/repo.js';

type Json = { tasks: { id: string; hash: string; status: string; cache: string }[] };
const byId = (r: KilnRun) => Object.fromEntries(r.json<Json>().tasks.map((t) => [t.id, `${t.status}/${t.cache}`]));

describe('task ids with colons', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'nx.json': { targetDefaults: { build: { cache: true }, 'build:prod': { cache: true } } },
      '.gitignore': '.kiln\n',
      'packages/a/package.json': { name: 'a', version: '1.0.0', scripts: { build: 'echo a-build', 'build:prod': 'echo a-build-prod' } },
      'packages/my/project.json': { name: 'my:proj', targets: { build: { command: 'echo my-proj-build', dependsOn: ['gen:all'] }, 'gen:all': { command: 'echo gen', cache: true } } },
      'packages/my/src/x.txt': 'x\n',
    });
  });
  afterAll(() => repo.cleanup());

  it('runs a project whose name holds a colon, by -p and by the PROJECT:TARGET shorthand', () => {
    const r = repo.kiln(['run', '-t', 'build', '-p', 'my:proj', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(byId(r)).toEqual({ 'my:proj:build': 'success/miss', 'my:proj:gen:all': 'success/miss' });
    expect(r.stderr).toContain('my:proj:build my-proj-build');
    const short = repo.kiln(['my:proj:build', '--json']);
    expect(short.code, short.stderr).toBe(0);
    expect(byId(short)).toEqual({ 'my:proj:build': 'success/local', 'my:proj:gen:all': 'success/local' });
    const hash = repo.kiln(['hash', 'my:proj:build', '--json']);
    expect(hash.code, hash.stderr).toBe(0);
    expect(hash.json().hash).toBe(short.json<Json>().tasks.find((t) => t.id === 'my:proj:build')!.hash);
  });

  it('runs a package.json script named build:prod, and hashes and explains a:build:prod', () => {
    const r = repo.kiln(['run', '-t', 'build:prod', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(byId(r)).toEqual({ 'a:build:prod': 'success/miss' });
    const hash = repo.kiln(['hash', 'a:build:prod', '--json']);
    expect(hash.code, hash.stderr).toBe(0);
    expect(hash.json().hash).toBe(r.json<Json>().tasks[0]!.hash);
    expect(hash.json().inputs.target.options).toEqual({ script: 'build:prod' });
    expect(repo.kiln(['a:build:prod', '--json']).json<Json>().tasks.map((t) => `${t.id} ${t.cache}`)).toEqual(['a:build:prod local']);
    const why = repo.kiln(['why-miss', 'a:build:prod', '--json']);
    expect(why.code, why.stderr).toBe(0);
    expect(why.json()).toMatchObject({ task: 'a:build:prod', changed: [] });
  });

  it('names the nearest project for an unknown one, and refuses an id that names two tasks, with exit 2', () => {
    const unknown = repo.kiln(['hash', 'my:prj:build']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Did you mean "my:proj"?');
    repo.write({ 'packages/ab/project.json': { name: 'a:build', targets: { prod: { command: 'echo other' } } } });
    for (const args of [['a:build:prod'], ['hash', 'a:build:prod']]) {
      const r = repo.kiln(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('"a:build:prod" names more than one task: project "a:build", target "prod", or project "a", target "build:prod".');
    }
    // Named apart, each runs.
    expect(byId(repo.kiln(['run', '-t', 'prod', '-p', 'a:build', '--json']))).toEqual({ 'a:build:prod': 'success/miss' });
  });
});
