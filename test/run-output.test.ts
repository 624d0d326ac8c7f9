/**
 * `kiln run`'s output on a real terminal (a pseudo-terminal driven by python3's `pty`) and in a
 * pipe: the status line with its total, a fully cached run of 300 tasks in one line, one line per
 * skipped subtree, the failure report at the end, and Ctrl-C reported as interrupted.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onTerminal, screenLines } from './helpers/pty.js';
import { createRepo, kilnBin, type FileTree, type TempRepo } from './helpers/repo.js';

const kiln = (...args: string[]) => [process.execPath, kilnBin, ...args];

/** `count` projects p0…, each with a cached build that says its name; p(i) depends on p(i-1) every tenth project, so the graph has depth. */
function manyProjects(count: number): FileTree {
  const files: FileTree = {
    'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
    'nx.json': { targetDefaults: { build: { dependsOn: ['^build'], cache: true } } },
    '.gitignore': '.kiln\n',
  };
  for (let i = 0; i < count; i++)
    files[`packages/p${i}/package.json`] = { name: `p${i}`, ...(i % 10 !== 0 && { dependencies: { [`p${i - (i % 10)}`]: '*' } }), scripts: { build: `echo built p${i}` } };
  return files;
}

/** lib fails (exit 3) after 15 lines; six projects depend on it (two levels); solo builds fine. */
function failingWorkspace(): FileTree {
  const files: FileTree = {
    'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
    'nx.json': { targetDefaults: { build: { dependsOn: ['^build'], cache: true } } },
    '.gitignore': '.kiln\n',
    'packages/lib/package.json': { name: 'lib', scripts: { build: 'for i in $(seq 1 15); do echo "lib line $i"; done; echo "error: the widget is broken" >&2; exit 3' } },
    'packages/solo/package.json': { name: 'solo', scripts: { build: 'echo solo ok' } },
  };
  for (let i = 0; i < 3; i++) files[`packages/app${i}/package.json`] = { name: `app${i}`, dependencies: { lib: '*' }, scripts: { build: 'echo app' } };
  for (let i = 0; i < 3; i++) files[`packages/e2e${i}/package.json`] = { name: `e2e${i}`, dependencies: { [`app${i}`]: '*' }, scripts: { build: 'echo e2e' } };
  return files;
}

describe('kiln run on a terminal', () => {
  let many: TempRepo;
  beforeAll(() => {
    many = createRepo(manyProjects(300));
    const cold = many.kiln(['run', '-t', 'build', '--output-style', 'summary']);
    expect(cold.code, cold.stderr).toBe(0);
  }, 120_000);
  afterAll(() => many.cleanup());

  it('prints one line for a fully cached run of 300 tasks, on the fast path and on the normal one', async () => {
    const fast = await onTerminal(kiln('run', '-t', 'build'), { cwd: many.dir });
    expect(fast.code, fast.screen).toBe(0);
    expect(screenLines(fast.screen)).toEqual([expect.stringMatching(/^kiln: 300 tasks: 0 run, 300 restored from cache, 0 failed in [\d.]+m?s \(time saved: /)]);
    // Without the run manifest, the engine plans, restores and replays: still one line.
    rmSync(join(many.dir, '.kiln/run'), { recursive: true, force: true });
    const normal = await onTerminal(kiln('run', '-t', 'build'), { cwd: many.dir });
    expect(normal.code, normal.screen).toBe(0);
    expect(screenLines(normal.screen)).toEqual([expect.stringMatching(/^kiln: 300 tasks: 0 run, 300 restored from cache/)]);
    // The status line was drawn (with the total) and cleared in place.
    expect(normal.screen).toMatch(/\d+\/300 · /);
    expect(normal.screen).toContain('\r\x1b[K');
  }, 60_000);

  it('streams every cached task and its log when asked to', async () => {
    const r = await onTerminal(kiln('run', '-t', 'build', '--output-style', 'stream'), { cwd: many.dir });
    expect(r.code).toBe(0);
    const lines = screenLines(r.screen);
    expect(lines.filter((l) => /^✔ p\d+:build \[local cache\]$/.test(l))).toHaveLength(300);
    expect(lines).toContain('p42:build built p42');
  }, 60_000);

  it('shows done/total, the running task and the elapsed time while tasks run, cut to the width', async () => {
    const repo = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'nx.json': { targetDefaults: { build: { cache: true } } },
      '.gitignore': '.kiln\n',
      'packages/a-project-with-a-rather-long-name/package.json': { name: 'a-project-with-a-rather-long-name', scripts: { build: 'sleep 0.6; echo slow done' } },
      'packages/b/package.json': { name: 'b', scripts: { build: 'echo b done' } },
    });
    try {
      const r = await onTerminal(kiln('run', '-t', 'build', '--parallel', '1'), { cwd: repo.dir, columns: 50 });
      expect(r.code, r.screen).toBe(0);
      // Redrawn in place: `\r`, clear the line, then the status.
      const drawn = [...r.screen.matchAll(/\r\x1b\[K(?:\x1b\[[\d;]*m)?●(?:\x1b\[[\d;]*m)? ([^\r\n\x1b]*)/g)].map((m) => m[1]!);
      expect(drawn.some((s) => /^[01]\/2 · \d+\.\ds · 1 running: a-project/.test(s) || /^[01]\/2 · \d+\.\ds · 1 running…?/.test(s))).toBe(true);
      // Never wider than the terminal (50 columns, the dot and space included).
      for (const s of drawn) expect(s.length + 2).toBeLessThanOrEqual(50);
      // Grouped (the terminal's default): each task's output together after its line.
      const lines = screenLines(r.screen);
      const at = lines.findIndex((l) => l.startsWith('✔ a-project-with-a-rather-long-name:build ('));
      expect(at, lines.join('\n')).toBeGreaterThanOrEqual(0);
      expect(lines[at + 1]).toBe('slow done');
      expect(lines.at(-1)).toMatch(/^kiln: 2 tasks: 2 run, 0 restored from cache, 0 failed in /);
      // Coloured on a terminal…
      expect(r.screen).toMatch(/\x1b\[3\dm✔/);
      // …and not with NO_COLOR (the status line still redraws in place).
      const plain = await onTerminal(kiln('run', '-t', 'build', '--skip-cache'), { cwd: repo.dir, env: { NO_COLOR: '1' } });
      expect(plain.screen).not.toMatch(/\x1b\[\d+m/);
      expect(plain.screen).toContain('\r\x1b[K');
    } finally {
      repo.cleanup();
    }
  }, 60_000);

  describe('when a task fails', () => {
    let repo: TempRepo;
    beforeAll(() => {
      repo = createRepo(failingWorkspace());
    });
    afterAll(() => repo.cleanup());

    it('says each skipped subtree in one line, and ends with the failed task, its exit code and its last lines', async () => {
      const r = await onTerminal(kiln('run', '-t', 'build'), { cwd: repo.dir });
      expect(r.code, r.screen).toBe(1);
      const lines = screenLines(r.screen);
      expect(lines.filter((l) => l.includes('skipped'))).toEqual([
        '- 6 tasks skipped: they depend on lib:build, which failed (app0:build, app1:build, +4 more)',
        expect.stringMatching(/^kiln: 8 tasks: 2 run, 0 restored from cache, 1 failed, 6 skipped in /),
        '  lib:build: exit code 3; 6 dependent tasks skipped',
      ]);
      const report = lines.slice(lines.indexOf('Failed task:'));
      expect(report).toEqual([
        'Failed task:',
        '  lib:build: exit code 3; 6 dependent tasks skipped',
        '    last 10 lines of its output:',
        ...[7, 8, 9, 10, 11, 12, 13, 14, 15].map((i) => `    │ lib line ${i}`),
        '    │ error: the widget is broken',
      ]);
      // The report is the end of the output.
      expect(lines.at(-1)).toBe('    │ error: the widget is broken');
    }, 60_000);

    it('in the summary style, shows only the failure (its whole output) and the summary', async () => {
      const r = await onTerminal(kiln('run', '-t', 'build', '--output-style', 'summary', '--skip-cache'), { cwd: repo.dir });
      expect(r.code).toBe(1);
      const lines = screenLines(r.screen);
      expect(lines).not.toContain('solo ok');
      expect(lines).toContain('lib line 1');
      expect(lines.filter((l) => l.startsWith('✔'))).toEqual([]);
      expect(lines).toContain('Failed task:');
    }, 60_000);

    it('in a pipe: plain lines, no escape sequences, a counter on each line, the same report', () => {
      const r = repo.kiln(['run', '-t', 'build', '--skip-cache'], { env: { CI: '1' } });
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).not.toContain('\x1b');
      expect(r.stderr).toMatch(/^✖ lib:build failed with exit code 3 \(\d+m?s\) \[\d\/8\]$/m);
      expect(r.stderr).toMatch(/^✔ solo:build \(\d+m?s\) \[\d\/8\]$/m);
      expect(r.stdout).toContain('lib:build lib line 15');
      expect(r.stderr.match(/skipped: they depend on lib:build/g)).toHaveLength(1);
      expect(r.stderr).toContain('    │ error: the widget is broken');
      // FORCE_COLOR colours a pipe too.
      const coloured = repo.kiln(['run', '-t', 'build'], { env: { FORCE_COLOR: '1' } });
      expect(coloured.stderr).toMatch(/\x1b\[\d+m/);
    });
  });

  it('reports Ctrl-C as interrupted (exit 130), caches nothing for the task and leaves no process', async () => {
    const repo = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'nx.json': { targetDefaults: { build: { dependsOn: ['^build'], cache: true } } },
      '.gitignore': '.kiln\nmarker*\n',
      'packages/w/package.json': { name: 'w', scripts: { build: "sh -c 'echo $$ > ../../marker-pid; echo waiting-now; while [ ! -f never ]; do sleep 0.05; done'" } },
      'packages/q/package.json': { name: 'q', dependencies: { w: '*' }, scripts: { build: 'echo q' } },
    });
    try {
      const r = await onTerminal(kiln('run', '-t', 'build', '--output-style', 'stream'), { cwd: repo.dir, interruptAfter: 'waiting-now', timeoutMs: 30_000 });
      expect(r.code, r.screen).toBe(130);
      const lines = screenLines(r.screen);
      expect(lines).toContainEqual(expect.stringMatching(/^■ w:build interrupted \(/));
      expect(lines.some((l) => /✖|failed with/.test(l))).toBe(false);
      expect(lines).toContainEqual(expect.stringMatching(/0 failed, 1 interrupted, 1 skipped in .* \(interrupted\)$/));
      expect(lines).toContain('- 1 task skipped: it depends on w:build, which was interrupted (q:build)');
      const pid = Number(readFileSync(join(repo.dir, 'marker-pid'), 'utf8').trim());
      expect(pid).toBeGreaterThan(0);
      expect(await gone(pid)).toBe(true);
      const entries = join(repo.dir, '.kiln/cache/entries');
      expect(existsSync(entries) ? readdirSync(entries) : []).toEqual([]);
    } finally {
      repo.cleanup();
    }
  }, 60_000);
});

/** Whether a process still runs (a zombie, ended but not yet reaped by whoever adopted it, does not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((res) => setTimeout(res, 20));
  return !alive(pid);
}
