/**
 * A cache that cannot be written (a file where the folder should be, a read-only or a full disk)
 * costs the run its caching, never its result: one warning, every task still runs, nothing half
 * written is left. Faults are injected into the kiln process (fixtures/fs-faults.mjs), since the
 * tests may run as root, whom chmod does not stop.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepo, repoRoot, type TempRepo } from './helpers/repo.js';

type Json = { tasks: { id: string; status: string; cache: string }[] };
const byId = (j: Json) => Object.fromEntries(j.tasks.map((t) => [t.id, `${t.status}/${t.cache}`]));
const faults = pathToFileURL(join(repoRoot, 'test/fixtures/fs-faults.mjs')).href;

function workspace(kiln: Record<string, unknown> = {}): TempRepo {
  const project = (name: string) => ({ name, scripts: { build: `mkdir -p dist && cat src.txt > dist/out.txt && echo built ${name}` } });
  return createRepo({
    'package.json': { name: 'r', private: true, workspaces: ['p/*'] },
    'nx.json': { targetDefaults: { build: { cache: true, outputs: ['{projectRoot}/dist'] } }, kiln },
    '.gitignore': 'dist\n.kiln\n',
    ...Object.fromEntries(['a', 'b', 'c'].flatMap((n) => [[`p/${n}/package.json`, project(n)], [`p/${n}/src.txt`, `${n.toUpperCase()}\n`]])),
  });
}

/** Runs `kiln run -t build` with file-system faults below `dir`. */
const runWithFaults = (repo: TempRepo, dir: string, code: string, ops: 'write' | 'data') =>
  repo.kiln(['run', '-t', 'build', '--parallel', '1', '--json'], { env: { NODE_OPTIONS: `--import ${faults}`, FS_FAULT_DIR: dir, FS_FAULT_CODE: code, FS_FAULT_OPS: ops } });

const warnings = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('warning '));
const outputs = (repo: TempRepo) => ['a', 'b', 'c'].map((n) => readFileSync(join(repo.dir, `p/${n}/dist/out.txt`), 'utf8'));

describe('a cache that cannot be written', () => {
  let repo: TempRepo | undefined;
  afterEach(() => repo?.cleanup());

  it('is a file: every task runs, with one warning, and the file is left alone', () => {
    repo = workspace({ cacheDirectory: 'cache-file' });
    writeFileSync(join(repo.dir, 'cache-file'), 'not a folder\n');
    for (let round = 0; round < 2; round++) {
      const r = repo.kiln(['run', '-t', 'build', '--parallel', '1', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(byId(r.json())).toEqual({ 'a:build': 'success/miss', 'b:build': 'success/miss', 'c:build': 'success/miss' });
      expect(warnings(r.stderr)).toEqual(['warning the cache directory "cache-file" is not a folder: nothing is restored from it or stored in it. Tasks run as usual.']);
    }
    expect(readFileSync(join(repo.dir, 'cache-file'), 'utf8')).toBe('not a folder\n');
    expect(outputs(repo)).toEqual(['A\n', 'B\n', 'C\n']);
  });

  it('is read-only: hits still restore, a miss runs and is not stored, with one warning', () => {
    repo = workspace();
    expect(repo.kiln(['run', '-t', 'build']).code).toBe(0);
    const cache = join(repo.dir, '.kiln/cache');
    const entries = readdirSync(join(cache, 'entries')).sort();
    rmSync(join(repo.dir, 'p/a/dist'), { recursive: true });
    writeFileSync(join(repo.dir, 'p/b/src.txt'), 'B2\n');
    writeFileSync(join(repo.dir, 'p/c/src.txt'), 'C2\n');
    const r = runWithFaults(repo, cache, 'EROFS', 'write');
    expect(r.code, r.stderr).toBe(0);
    expect(byId(r.json())).toEqual({ 'a:build': 'success/local', 'b:build': 'success/miss', 'c:build': 'success/miss' });
    expect(warnings(r.stderr)).toEqual([expect.stringMatching(/^warning the cache directory "\.kiln\/cache" cannot be written \(EROFS: .*\): results are not stored\. Tasks run as usual\.$/)]);
    expect(outputs(repo)).toEqual(['A\n', 'B2\n', 'C2\n']);
    expect(readdirSync(join(cache, 'entries')).sort()).toEqual(entries);
    // Writable again: the misses are stored as usual.
    const again = repo.kiln(['run', '-t', 'build', '--json']);
    expect(byId(again.json())).toEqual({ 'a:build': 'success/local', 'b:build': 'success/miss', 'c:build': 'success/miss' });
    expect(warnings(again.stderr)).toEqual([]);
  });

  it('is made read-only with chmod: as root it is still written, as anyone else it warns once; the build is the same', () => {
    repo = workspace();
    expect(repo.kiln(['run', '-t', 'build']).code).toBe(0);
    const cache = join(repo.dir, '.kiln/cache');
    writeFileSync(join(repo.dir, 'p/b/src.txt'), 'B2\n');
    for (const d of ['', 'entries', 'tmp', 'last']) chmodSync(join(cache, d), 0o555);
    try {
      const r = repo.kiln(['run', '-t', 'build', '--parallel', '1', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(byId(r.json())).toEqual({ 'a:build': 'success/local', 'b:build': 'success/miss', 'c:build': 'success/local' });
      expect(warnings(r.stderr)).toHaveLength(process.getuid?.() === 0 ? 0 : 1);
      expect(outputs(repo)).toEqual(['A\n', 'B2\n', 'C\n']);
    } finally {
      for (const d of ['', 'entries', 'tmp', 'last']) chmodSync(join(cache, d), 0o755);
    }
  });

  it('is on a full disk (ENOSPC): every task runs, one warning, no half-written entry is left', () => {
    repo = workspace();
    const cache = join(repo.dir, '.kiln/cache');
    const r = runWithFaults(repo, join(cache, 'tmp'), 'ENOSPC', 'data');
    expect(r.code, r.stderr).toBe(0);
    expect(byId(r.json())).toEqual({ 'a:build': 'success/miss', 'b:build': 'success/miss', 'c:build': 'success/miss' });
    expect(warnings(r.stderr)).toEqual([expect.stringMatching(/the cache directory "\.kiln\/cache" cannot be written \(ENOSPC/)]);
    expect(r.stderr).toContain('built c');
    expect(outputs(repo)).toEqual(['A\n', 'B\n', 'C\n']);
    expect(readdirSync(join(cache, 'tmp'))).toEqual([]);
    expect(existsSync(join(cache, 'entries')) ? readdirSync(join(cache, 'entries')) : []).toEqual([]);
    // With room again, the next run stores.
    expect(repo.kiln(['run', '-t', 'build']).code).toBe(0);
    expect(byId(repo.kiln(['run', '-t', 'build', '--json']).json())).toEqual({ 'a:build': 'success/local', 'b:build': 'success/local', 'c:build': 'success/local' });
  });
});
