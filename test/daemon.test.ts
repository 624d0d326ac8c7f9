/**
 * `kiln daemon` end to end: start, status, stop; one per workspace; the commands ask it and say so
 * under --verbose; KILN_DAEMON=0, CI and `"kiln": {"daemon": false}` keep it out; a daemon of
 * another build is not asked; an edit made just before a query is in the answer; a workspace
 * with a path too long for a socket gets one in the temporary folder; the idle timeout and a
 * removed workspace stop it; `kiln daemon start` replaces a daemon of another build, and status
 * says which build runs.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepo, processExists, repoRoot, runKiln, start, type FileTree, type TempRepo } from './helpers/repo.js';

const workspace: FileTree = {
  'package.json': { name: 'w', private: true, workspaces: ['p/*'] },
  'nx.json': { targetDefaults: { build: { cache: true } } },
  '.gitignore': '.kiln\n',
  'p/a/package.json': { name: 'a', scripts: { build: 'echo a' } },
  'p/a/src/index.ts': 'export const a = 1;\n',
  'p/b/package.json': { name: 'b', dependencies: { a: '*' }, scripts: { build: 'echo b' } },
  'p/b/src/index.ts': "import { a } from 'a';\nexport const b = a;\n",
};
const on = { KILN_DAEMON: '1', KILN_DAEMON_IDLE_MS: '120000' };

const repos: TempRepo[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) {
    r.kiln(['daemon', 'stop'], { env: on });
    r.cleanup();
  }
});
function repo(files: FileTree = workspace): TempRepo {
  const r = createRepo(files);
  repos.push(r);
  return r;
}
const recordOf = (r: TempRepo) => JSON.parse(readFileSync(join(r.dir, '.kiln/daemon.json'), 'utf8')) as { pid: number; socket: string };
async function until(ok: () => boolean, ms = 20_000): Promise<void> {
  for (let waited = 0; !ok(); waited += 50) {
    if (waited > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a real daemon of another build (the same server under another build identity) in the background, as `kiln daemon start` would; returns its pid. */
async function otherBuildsDaemon(r: TempRepo): Promise<number> {
  const serve = `import(${JSON.stringify(join(repoRoot, 'packages/core/dist/api/daemon-control.js'))}).then((m) => m.serveWorkspaceDaemon(process.cwd(), '0.0.0-other', () => {}, 120000)).then(() => process.exit(0))`;
  // Not this test's child, which would stay a zombie once stopped.
  expect((await start('sh', ['-c', '"$0" -e "$1" </dev/null >/dev/null 2>&1 &', process.execPath, serve], { cwd: r.dir }).done).code).toBe(0);
  await until(() => existsSync(join(r.dir, '.kiln/daemon.json')));
  return recordOf(r).pid;
}

describe('kiln daemon', () => {
  it('starts once, answers the commands as they answer directly, reports its status and stops', async () => {
    const r = repo();
    expect(r.kiln(['daemon', 'status'], { env: on }).code).toBe(1);
    const started = r.kiln(['daemon', 'start'], { env: on });
    expect(started.code, started.stderr).toBe(0);
    expect(r.kiln(['daemon', 'start'], { env: on }).stderr).toContain('already running');
    const { pid } = recordOf(r);
    // An edit just before the question is in the answer.
    writeFileSync(join(r.dir, 'p/a/src/index.ts'), 'export const a = 2;\n');
    for (const args of [
      ['affected', '--json'],
      ['projects', '--json'],
      ['graph', '--json'],
      ['hash', 'b:build', '--json'],
      ['why-miss', 'b:build', '--json'],
    ]) {
      const viaDaemon = r.kiln([...args, '--verbose'], { env: on });
      const direct = r.kiln(args, { env: { KILN_DAEMON: '0' } });
      expect(viaDaemon.stderr, args.join(' ')).toMatch(/daemon: answered/);
      expect(viaDaemon.stdout, args.join(' ')).toBe(direct.stdout);
    }
    expect(r.kiln(['affected', '--json'], { env: on }).json<{ projects: string[] }>().projects).toEqual(['a', 'b']);
    // The same question again, nothing changed: from memory.
    expect(r.kiln(['affected', '--json', '--verbose'], { env: on }).stderr).toContain('from memory');
    // An unknown task is the same error either way.
    const unknown = r.kiln(['hash', 'nope:build', '--json'], { env: on });
    expect({ code: unknown.code, stdout: unknown.stdout }).toEqual(
      (({ code, stdout }) => ({ code, stdout }))(r.kiln(['hash', 'nope:build', '--json'], { env: { KILN_DAEMON: '0' } })),
    );
    const status = r
      .kiln(['daemon', 'status', '--json'], { env: on })
      .json<{ pid: number; rssBytes: number; watchedFiles: number; uptimeMs: number; lastEventAt: string | null }>();
    expect(status.pid).toBe(pid);
    expect(status.rssBytes).toBeGreaterThan(1e6);
    expect(status.watchedFiles).toBeGreaterThanOrEqual(6);
    expect(status.lastEventAt).not.toBeNull();
    expect(r.kiln(['daemon', 'stop'], { env: on }).code).toBe(0);
    expect(processExists(pid)).toBe(false);
    expect(existsSync(join(r.dir, '.kiln/daemon.json'))).toBe(false);
  }, 60_000);

  it('is not asked with KILN_DAEMON=0, in CI, with "daemon": false, and does not answer another build', async () => {
    const r = repo();
    expect(r.kiln(['daemon', 'start'], { env: on }).code).toBe(0);
    expect(r.kiln(['affected', '--verbose'], { env: { KILN_DAEMON: '0' } }).stderr).toContain('KILN_DAEMON=0');
    // The test environment sets CI=1.
    expect(r.kiln(['affected', '--verbose'], { env: { KILN_DAEMON: undefined } }).stderr).toContain('off in CI');
    r.write({ 'nx.json': { kiln: { daemon: false }, targetDefaults: { build: { cache: true } } } });
    expect(r.kiln(['affected', '--verbose'], { env: on }).stderr).toContain('"daemon": false');
    r.write({ 'nx.json': { targetDefaults: { build: { cache: true } } } });
    // Another build asks: the daemon refuses to answer (and that CLI answers directly, as for any refusal).
    const { askDaemon } = await import('../packages/core/src/daemon/index.js');
    const asked = await askDaemon({ root: r.dir, op: 'affected', args: {}, version: '0.0.0-other', env: {} });
    expect(asked).toMatchObject({ kind: 'unprovable', reason: expect.stringContaining('0.0.0-other') });
  });

  it('replaces a daemon of another kiln build on start, and says which build runs in status', async () => {
    const r = repo();
    const old = await otherBuildsDaemon(r);
    const before = r.kiln(['daemon', 'status', '--json'], { env: on }).json<{ version: string; otherBuild: string | null }>();
    expect(before).toMatchObject({ version: '0.0.0-other', otherBuild: expect.stringContaining('0.0.0-other') });
    expect(r.kiln(['daemon', 'status'], { env: on }).stdout).toMatch(/kiln 0\.0\.0-other[^]*another build than this kiln/);
    const started = r.kiln(['daemon', 'start'], { env: on });
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toContain(`stopped daemon ${old}: it is kiln 0.0.0-other`);
    expect(started.stderr).toMatch(/^started daemon/m);
    expect(processExists(old)).toBe(false);
    expect(recordOf(r).pid).not.toBe(old);
    const after = r.kiln(['daemon', 'status', '--json'], { env: on }).json<{ version: string; otherBuild: string | null }>();
    expect(after.otherBuild).toBeNull();
    expect(after.version).not.toBe('0.0.0-other');
    expect(r.kiln(['affected', '--verbose'], { env: on }).stderr).toMatch(/daemon: answered/);
    // Same build: start leaves it running.
    expect(r.kiln(['daemon', 'start'], { env: on }).stderr).toContain('already running');
  }, 60_000);

  it('replaces a daemon of another build for the next command when nx.json or KILN_DAEMON=1 wants one, answering this one directly', async () => {
    const r = repo();
    const old = await otherBuildsDaemon(r);
    // Without asking for a daemon, a command leaves another build's daemon alone (it answers nothing).
    expect(r.kiln(['affected', '--verbose'], { env: { KILN_DAEMON: undefined, CI: undefined } }).stderr).toContain('the daemon is kiln 0.0.0-other');
    expect(processExists(old)).toBe(true);
    const asked = r.kiln(['affected', '--json', '--verbose'], { env: on });
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stderr).toContain('the daemon is kiln 0.0.0-other, this is');
    expect(asked.stderr).toContain('replacing it for the next command');
    expect(asked.json<{ projects: string[] }>().projects).toEqual([]);
    await until(() => !processExists(old) && existsSync(join(r.dir, '.kiln/daemon.json')) && recordOf(r).pid !== old);
    await until(() => r.kiln(['daemon', 'status', '--json'], { env: on }).json<{ otherBuild: string | null }>().otherBuild === null);
    expect(r.kiln(['affected', '--verbose'], { env: on }).stderr).toMatch(/daemon: answered/);
  }, 60_000);

  it('falls back to a socket in the temporary folder when the workspace path is too long, and stops when idle or when the workspace goes', async () => {
    const r = repo();
    const deep = join(r.dir, 'x'.repeat(60), 'y'.repeat(60));
    mkdirSync(deep, { recursive: true });
    for (const [path, content] of Object.entries(workspace)) {
      mkdirSync(join(deep, path, '..'), { recursive: true });
      writeFileSync(join(deep, path), typeof content === 'string' ? content : JSON.stringify(content));
    }
    const idle = runKiln(['daemon', 'start'], { cwd: deep, env: { ...on, KILN_DAEMON_IDLE_MS: '1500' } });
    expect(idle.code, idle.stderr).toBe(0);
    const { pid, socket } = JSON.parse(readFileSync(join(deep, '.kiln/daemon.json'), 'utf8')) as { pid: number; socket: string };
    expect(socket.startsWith(join(deep, '.kiln'))).toBe(false);
    expect(Buffer.byteLength(socket)).toBeLessThan(100);
    expect(runKiln(['projects', '--verbose'], { cwd: deep, env: on }).stderr).toMatch(/daemon: answered/);
    await until(() => !processExists(pid));
    expect(existsSync(socket)).toBe(false);
    // Started again, then its workspace is removed.
    expect(runKiln(['daemon', 'start'], { cwd: deep, env: on }).code).toBe(0);
    const second = (JSON.parse(readFileSync(join(deep, '.kiln/daemon.json'), 'utf8')) as { pid: number }).pid;
    rmSync(deep, { recursive: true, force: true });
    await until(() => !processExists(second));
  }, 60_000);
});
