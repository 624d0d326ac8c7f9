/**
 * Runner faults (issue 17): output paths that are not plain, tasks killed by a signal, outputs kiln
 * cannot keep, stored copies damaged in place. Each through the real binary in a real repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from './helpers/repo.js';
import { storedCopy } from './helpers/cache-entry.js';

type Json = { tasks: { id: string; status: string; cache: string; exitCode?: number; signal?: string }[] };
const byId = (j: Json) => Object.fromEntries(j.tasks.map((t) => [t.id, `${t.status}/${t.cache}`]));
const warnings = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('warning '));

describe('output paths that are not plain', () => {
  let repo: TempRepo | undefined;
  afterEach(() => repo?.cleanup());

  // Folders and files named with glob metacharacters and a newline are paths, not patterns.
  const folders = ['a(1)', 'b[x]', 'c{y,z}', 'd!', 'e*', 'f\nnl', 'g@(h)', 'i?'];
  const build = `mkdir -p dist && cat src.txt > 'dist/out [1] (2) {3} !*.txt' && cat src.txt > dist/plain.txt`;

  it('are stored and restored, as folders, as files and as globs', () => {
    repo = createRepo({
      'package.json': { name: 'r', private: true, workspaces: ['p/*'] },
      'nx.json': { targetDefaults: { build: { cache: true, outputs: ['{projectRoot}/dist'] }, pack: { cache: true, outputs: ['{projectRoot}/dist/out [1] (2) {3} !*.txt', '{projectRoot}/dist/*.txt'] } } },
      '.gitignore': 'dist\n.kiln\n',
      ...Object.fromEntries(
        folders.flatMap((f, i) => [
          [`p/${f}/package.json`, { name: `p${i}`, scripts: { build, pack: build } }],
          [`p/${f}/src.txt`, `${f}\n`],
        ]),
      ),
    });
    for (const target of ['build', 'pack']) {
      const first = repo.kiln(['run', '-t', target, '--json']);
      expect(first.code, first.stderr).toBe(0);
      for (const f of folders) rmSync(join(repo.dir, 'p', f, 'dist'), { recursive: true });
      const again = repo.kiln(['run', '-t', target, '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect(Object.values(byId(again.json())), again.stderr).toEqual(folders.map(() => 'success/local'));
      for (const f of folders) {
        expect(readFileSync(join(repo.dir, 'p', f, 'dist/out [1] (2) {3} !*.txt'), 'utf8'), `${target} ${JSON.stringify(f)}`).toBe(`${f}\n`);
        expect(readFileSync(join(repo.dir, 'p', f, 'dist/plain.txt'), 'utf8'), `${target} ${JSON.stringify(f)}`).toBe(`${f}\n`);
      }
    }
  });
});

describe('outputs kiln does not keep', () => {
  let repo: TempRepo | undefined;
  afterEach(() => repo?.cleanup());

  it('are named in one warning each: declared outside the workspace, links leading out, FIFOs', () => {
    repo = createRepo({
      'package.json': { name: 'r', private: true, workspaces: ['p/*'] },
      'nx.json': { targetDefaults: { build: { cache: true, outputs: ['{projectRoot}/dist', '{workspaceRoot}/../elsewhere', '/tmp/kiln-absolute-output', '{projectRoot}/../../../up'] } } },
      '.gitignore': 'dist\n.kiln\n',
      'p/a/package.json': { name: 'a', scripts: { build: 'mkdir -p dist && echo A > dist/out.txt && ln -sf /etc/hostname dist/abs && ln -sf ../../../../x dist/up && ln -sf out.txt dist/in && rm -f dist/fifo && mkfifo dist/fifo' } },
    });
    const r = repo.kiln(['run', '-t', 'build', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toEqual([
      'warning output "{workspaceRoot}/../elsewhere" of a:build is not cached: it is outside the workspace',
      'warning output "/tmp/kiln-absolute-output" of a:build is not cached: it is outside the workspace',
      'warning output "{projectRoot}/../../../up" of a:build is not cached: it is outside the workspace',
      'warning output "p/a/dist/abs" of a:build is not cached: it is a symbolic link leading out of the workspace (to "/etc/hostname")',
      'warning output "p/a/dist/fifo" of a:build is not cached: it is not a regular file, a folder or a symbolic link (a FIFO, a socket, a device)',
      'warning output "p/a/dist/up" of a:build is not cached: it is a symbolic link leading out of the workspace (to "../../../../x")',
    ]);
    rmSync(join(repo.dir, 'p/a/dist'), { recursive: true });
    const again = repo.kiln(['run', '-t', 'build', '--json']);
    expect(byId(again.json())).toEqual({ 'a:build': 'success/local' });
    expect(warnings(again.stderr)).toEqual([]);
    expect(readFileSync(join(repo.dir, 'p/a/dist/in'), 'utf8')).toBe('A\n');
    expect(existsSync(join(repo.dir, 'p/a/dist/fifo'))).toBe(false);
  });
});

describe('a task that fails', () => {
  let repo: TempRepo | undefined;
  afterEach(() => repo?.cleanup());

  it('is reported with the signal that killed it, or its exit code', () => {
    repo = createRepo({
      'package.json': { name: 'r', private: true, workspaces: ['p/*'] },
      'p/k/package.json': { name: 'k', scripts: { build: 'kill -KILL $$' } },
      'p/e/package.json': { name: 'e', scripts: { build: 'exit 3' } },
      'p/t/package.json': { name: 't', scripts: { build: 'kill -TERM $$' } },
    });
    const r = repo.kiln(['run', '-t', 'build', '--json']);
    expect(r.code).toBe(1);
    const tasks = Object.fromEntries(r.json<Json>().tasks.map((t) => [t.id, { status: t.status, exitCode: t.exitCode, signal: t.signal }]));
    expect(tasks).toEqual({
      'k:build': { status: 'failure', exitCode: 137, signal: 'SIGKILL' },
      'e:build': { status: 'failure', exitCode: 3, signal: undefined },
      't:build': { status: 'failure', exitCode: 143, signal: 'SIGTERM' },
    });
    expect(r.stderr).toMatch(/✖ k:build failed: killed by SIGKILL \(/);
    expect(r.stderr).toMatch(/✖ t:build failed: killed by SIGTERM \(/);
    expect(r.stderr).toMatch(/✖ e:build failed with exit code 3 \(/);
  });
});

describe('a stored copy damaged in place', () => {
  let repo: TempRepo | undefined;
  afterEach(() => repo?.cleanup());

  for (const restoreMode of ['link', 'copy']) {
    it(`with its size and mtime put back is found on restore (${restoreMode} mode)`, () => {
      repo = createRepo({
        'package.json': { name: 'r', private: true, workspaces: ['p/*'] },
        'nx.json': { targetDefaults: { build: { cache: true, outputs: ['{projectRoot}/dist'] } }, kiln: { restoreMode } },
        '.gitignore': 'dist\n.kiln\n',
        'p/a/package.json': { name: 'a', scripts: { build: 'mkdir -p dist && echo good > dist/out.txt' } },
      });
      expect(repo.kiln(['run', '-t', 'build']).code).toBe(0);
      const entries = join(repo.dir, '.kiln/cache/entries');
      const [entry] = readdirSync(entries);
      const stored = storedCopy(join(entries, entry!), 'p/a/dist/out.txt');
      const before = statSync(stored, { bigint: true });
      rmSync(join(repo.dir, 'p/a/dist'), { recursive: true });
      // Same size, and the mtime put back to the nanosecond (touch -r copies it whole).
      execFileSync('cp', ['-p', stored, `${stored}.ref`]);
      writeFileSync(stored, 'evil\n');
      execFileSync('touch', ['-r', `${stored}.ref`, stored]);
      rmSync(`${stored}.ref`);
      expect(statSync(stored, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
      const r = repo.kiln(['run', '-t', 'build', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(byId(r.json())).toEqual({ 'a:build': 'success/miss' });
      expect(warnings(r.stderr)).toEqual([expect.stringMatching(/^warning the cache entry of a:build \(\w+\) was corrupt: output "p\/a\/dist\/out.txt" does not match its digest\. It was removed; running the task\.$/)]);
      expect(readFileSync(join(repo.dir, 'p/a/dist/out.txt'), 'utf8')).toBe('good\n');
    });
  }
});

describe('a whole entry whose restore the workspace blocks', () => {
  let repo: TempRepo | undefined;
  afterEach(() => repo?.cleanup());

  it('is kept, not called corrupt, when an output folder became a link leading out of the workspace', () => {
    repo = createRepo({
      'package.json': { name: 'r', private: true, workspaces: ['p/*'] },
      'nx.json': { targetDefaults: { build: { cache: true, outputs: ['{projectRoot}/dist'] } } },
      '.gitignore': 'dist\n.kiln\nelsewhere\n',
      'p/a/package.json': { name: 'a', scripts: { build: 'mkdir -p dist && echo A > dist/out.txt' } },
    });
    const first = repo.kiln(['run', '-t', 'build', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const hash = first.json<Json & { tasks: { hash: string }[] }>().tasks[0]!.hash;
    const outside = createRepo({}, { init: false, commit: false });
    try {
      rmSync(join(repo.dir, 'p/a/dist'), { recursive: true });
      execFileSync('ln', ['-s', outside.dir, join(repo.dir, 'p/a/dist')]);
      const blocked = repo.kiln(['run', '-t', 'build', '--json']);
      expect(warnings(blocked.stderr)).toEqual([
        'warning the outputs of a:build could not be restored: the output folder "p/a/dist" leads out of the workspace (a symbolic link). Running the task.',
        `warning output "p/a/dist" of a:build is not cached: it is a symbolic link leading out of the workspace (to "${outside.dir}")`,
      ]);
      expect(existsSync(join(repo.dir, '.kiln/cache/entries', hash, 'meta.json'))).toBe(true);
      rmSync(join(repo.dir, 'p/a/dist'));
      const back = repo.kiln(['run', '-t', 'build', '--json']);
      expect(byId(back.json())).toEqual({ 'a:build': 'success/local' });
      expect(readFileSync(join(repo.dir, 'p/a/dist/out.txt'), 'utf8')).toBe('A\n');
    } finally {
      outside.cleanup();
    }
  });
});
