/**
 * `kiln cache stats` and `kiln cache clean`: what stats counts, what clean removes (only entries
 * kiln wrote, in a folder carrying its CACHEDIR.TAG) and what it refuses.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepo, type TempRepo } from './helpers/repo.js';
import { sampleWorkspace } from './helpers/sample-workspace.js';

let repo: TempRepo | undefined;
afterEach(() => repo?.cleanup());

interface Stats {
  dir: string;
  entries: number;
  bytes: number;
  maxBytes: number;
  oldest: string | null;
  newest: string | null;
  lastUsed: string | null;
}

describe('kiln cache', () => {
  it('counts the entries a run stored, removes them all, and the next run runs again', () => {
    repo = createRepo(sampleWorkspace());
    const empty = repo.kiln(['cache', 'stats', '--json']);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.json()).toEqual({ dir: '.kiln/cache', entries: 0, bytes: 0, maxBytes: 10 * 1024 ** 3, oldest: null, newest: null, lastUsed: null });
    expect(repo.kiln(['run', '-t', 'build']).code).toBe(0);
    const stats = repo.kiln(['cache', 'stats', '--json']).json<Stats>();
    expect(stats.entries).toBe(5); // a, b, c, d:gen, d:build
    expect(stats.bytes).toBeGreaterThan(0);
    expect(Date.parse(stats.oldest!)).toBeLessThanOrEqual(Date.parse(stats.newest!));
    expect(repo.kiln(['cache', 'stats']).stdout).toMatch(/^\.kiln\/cache: 5 entries, \d+(\.\d)? (B|KB) of 10\.0 GB\n/);

    // Something in entries/ that kiln did not write stays.
    const foreign = join(repo.dir, '.kiln/cache/entries/notes');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'keep.txt'), 'mine\n');
    const clean = repo.kiln(['cache', 'clean', '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.json()).toEqual({ dir: '.kiln/cache', removed: 5, bytes: stats.bytes });
    expect(readdirSync(join(repo.dir, '.kiln/cache/entries'))).toEqual(['notes']);
    expect(existsSync(join(repo.dir, '.kiln/cache/CACHEDIR.TAG'))).toBe(true);
    expect(repo.kiln(['cache', 'stats', '--json']).json<Stats>().entries).toBe(0);

    const again = repo.kiln(['run', '-t', 'build', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json<{ tasks: { cache: string }[] }>().tasks.every((t) => t.cache === 'miss')).toBe(true);
  });

  it("refuses a folder without kiln's marker and removes nothing from it", () => {
    repo = createRepo({ ...sampleWorkspace(), 'nx.json': { kiln: { cacheDirectory: 'build-cache' } } });
    // Laid out like a cache, but not marked by kiln: someone else's.
    const entry = join(repo.dir, 'build-cache/entries', 'a'.repeat(64));
    mkdirSync(entry, { recursive: true });
    writeFileSync(join(entry, 'meta.json'), '{}');
    const r = repo.kiln(['cache', 'clean', '--json']);
    expect(r.code).toBe(2);
    expect(r.json()).toMatchObject({ error: { code: 'invalid-config' } });
    expect(existsSync(join(entry, 'meta.json'))).toBe(true);
    // A folder with other files is refused outright (cache/root.ts), for stats too.
    writeFileSync(join(repo.dir, 'build-cache/README.md'), 'my files\n');
    const stats = repo.kiln(['cache', 'stats']);
    expect(stats.code).toBe(2);
    expect(stats.stderr).toContain('kiln did not make');
    expect(repo.kiln(['cache', 'clean']).code).toBe(2);
    expect(readdirSync(join(repo.dir, 'build-cache')).sort()).toEqual(['README.md', 'entries']);
  });

  it('says what it takes', () => {
    repo = createRepo(sampleWorkspace());
    expect(repo.kiln(['cache']).code).toBe(2);
    const r = repo.kiln(['cache', 'clear']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown subcommand "clear" of "kiln cache". Did you mean "clean"?');
  });
});
