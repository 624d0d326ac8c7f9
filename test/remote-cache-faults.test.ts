/**
 * A remote cache server that misbehaves never changes a build's result: unreachable, refusing
 * the token, failing, answering garbage or a truncated body, too slow. Each gets one clear
 * warning line naming the server and never the token; a plain 404 is a quiet miss; a run bundle
 * whose entry is refused never passes that entry on in the bundle a later run uploads. The servers
 * are small node http servers in the test (Turborepo's API shape).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/cache-servers.js';
import { createRepo, git, runKiln, startKiln, tempDir, type TempRepo } from './helpers/repo.js';

const TOKEN = 'tok-Very-Secret-0042';

type Json = { tasks: { id: string; status: string; cache: string }[] };

let repo: TempRepo;
beforeAll(() => {
  repo = createRepo({
    'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
    'nx.json': { targetDefaults: { build: { cache: true, outputs: ['{projectRoot}/dist'] } } },
    '.gitignore': 'dist\n.kiln\n',
    'packages/a/package.json': { name: 'a', version: '1.0.0', scripts: { build: 'mkdir -p dist && echo A > dist/a.txt && echo built a' } },
    'packages/b/package.json': { name: 'b', version: '1.0.0', scripts: { build: 'mkdir -p dist && echo B > dist/b.txt && echo built b' } },
  });
});
afterAll(() => repo.cleanup());

/** A server answering every request with `handle`. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * A fresh clone runs `build` against `url` (without blocking: the servers live in this process): every task must still
 * succeed; each warning line is returned, and where each task came from. Without run bundles unless `extra` asks: the
 * requests and warnings counted are each entry's own.
 */
async function buildAgainst(url: string, extra: NodeJS.ProcessEnv = {}, before?: (dir: string) => void): Promise<{ warnings: string[]; stderr: string; caches: string[] }> {
  const dir = tempDir('kiln-clone-');
  git(dir, ['clone', '-q', repo.dir, '.']);
  before?.(dir);
  const run = await startKiln(['run', '-t', 'build', '--json'], {
    cwd: dir,
    env: { KILN_REMOTE_CACHE_URL: url, KILN_REMOTE_CACHE_TOKEN: TOKEN, KILN_REMOTE_CACHE_TEAM: 'team', KILN_REMOTE_CACHE_RUN_BUNDLES: '0', ...extra },
  }).done;
  expect(run.code, run.stderr).toBe(0);
  expect(
    run
      .json<Json>()
      .tasks.map((t) => `${t.id} ${t.status}`)
      .sort(),
  ).toEqual(['a:build success', 'b:build success']);
  expect(run.stderr + run.stdout).not.toContain(TOKEN);
  return { warnings: run.stderr.split('\n').filter((l) => l.startsWith('warning')), stderr: run.stderr, caches: run.json<Json>().tasks.map((t) => t.cache) };
}

describe('a misbehaving remote cache server', () => {
  const servers: Server[] = [];
  const start = async (handle: Parameters<typeof serve>[0]): Promise<string> => {
    const s = await serve(handle);
    servers.push(s.server);
    return s.url;
  };
  afterAll(() => servers.forEach((s) => s.close()));
  /** A server that keeps what is PUT (in `kept`, by URL) and answers a GET of it through `send`; anything else is a 404. */
  const keeping = async (kept: Map<string, Buffer>, send: (whole: Buffer, res: ServerResponse) => void): Promise<string> =>
    start((req, res, body) => {
      if (req.method === 'PUT') {
        kept.set(req.url!, body);
        return res.writeHead(200).end('{}');
      }
      const whole = kept.get(req.url!);
      if (!whole) return res.writeHead(404).end();
      send(whole, res);
    });

  it('unreachable: one line, the tasks run', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { warnings } = await buildAgainst(url);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`remote cache ${url}:`);
    expect(warnings[0]).toContain('connection refused');
  });

  it.each([401, 403])('%i: one line saying the token is refused, never the token', async (status) => {
    const url = await start((_req, res) => res.writeHead(status).end('{"error":"no"}'));
    const { warnings } = await buildAgainst(url);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`remote cache ${url}:`);
    expect(warnings[0]).toContain(`refused (${status}`);
    expect(warnings[0]).toContain('the token is not accepted');
  });

  it('404 is a quiet miss; a 5xx is a warning', async () => {
    const puts: string[] = [];
    const quiet = await start((req, res) => {
      if (req.method === 'PUT') puts.push(req.url!);
      res.writeHead(req.method === 'PUT' ? 200 : 404).end();
    });
    expect((await buildAgainst(quiet)).warnings).toEqual([]);
    expect(puts).toHaveLength(2);
    expect(puts[0]).toMatch(/^\/v8\/artifacts\/[0-9a-f]{64}\?slug=team$/);

    const failing = await start((_req, res) => res.writeHead(503, 'Service Unavailable').end());
    const { warnings } = await buildAgainst(failing);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`remote cache ${failing}:`);
    expect(warnings[0]).toContain('failed on the server (503 Service Unavailable)');
  });

  it('garbage is refused: one line per entry, the task rebuilt', async () => {
    const url = await start((req, res) => res.writeHead(200).end(req.method === 'PUT' ? '{}' : 'this is no kiln entry'));
    const { warnings } = await buildAgainst(url);
    expect(warnings).toHaveLength(2);
    for (const w of warnings) expect(w).toMatch(new RegExp(`remote cache ${url}: the entry of [ab]:build \\([0-9a-f]{12}\\) was refused: it is not a kiln entry`));
  });

  it('a truncated body: refused when the length says so, a broken-off body when the connection drops', async () => {
    const kept = new Map<string, Buffer>();
    const mode = { drop: false };
    const url = await keeping(kept, (whole, res) => {
      const half = whole.subarray(0, whole.length >> 1);
      if (!mode.drop) return res.writeHead(200, { 'content-length': half.length }).end(half);
      // Announces the whole body, sends half, then drops the connection.
      res.writeHead(200, { 'content-length': whole.length });
      res.write(half, () => res.destroy());
    });
    expect((await buildAgainst(url)).warnings).toEqual([]); // fills the server
    expect(kept.size).toBe(2);
    const short = (await buildAgainst(url, { KILN_REMOTE_CACHE_READ_ONLY: '1' })).warnings;
    expect(short).toHaveLength(2);
    for (const w of short) expect(w).toMatch(/was refused: it ends inside (its manifest|output|the log)|it has bytes past its end|ends inside/);
    mode.drop = true;
    const dropped = (await buildAgainst(url, { KILN_REMOTE_CACHE_READ_ONLY: '1' })).warnings;
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toContain(`remote cache ${url}:`);
    expect(dropped[0]).toContain('the body broke off');
  });

  it('a run bundle is uploaded only from a work tree that is its commit exactly', async () => {
    const kept = new Map<string, Buffer>();
    const url = await keeping(kept, (whole, res) => res.writeHead(200, { 'content-length': whole.length }).end(whole));
    const bundles = () => [...kept.values()].filter((b) => b.subarray(0, 8).toString('latin1') === 'KILNRB01').length;
    const on = { KILN_REMOTE_CACHE_RUN_BUNDLES: '1' };
    await buildAgainst(url, on, (dir) => writeFileSync(join(dir, 'notes.txt'), 'not committed\n'));
    expect(kept.size).toBe(2); // each entry, and no bundle: the key names a commit the work tree is not
    expect(bundles()).toBe(0);
    await buildAgainst(url, on);
    expect(bundles()).toBe(1);
  });

  it('a run bundle cut short, garbled or with an entry edited: one line, and each task it fails fetched alone', async () => {
    const kept = new Map<string, Buffer>();
    const mode = { bundle: 'whole' };
    const url = await keeping(kept, (whole, res) => {
      const bundle = whole.subarray(0, 8).toString('latin1') === 'KILNRB01';
      const edited = Buffer.from(whole);
      edited[edited.length - 2]! ^= 1; // the last output byte of the last entry in it
      const sent =
        !bundle || mode.bundle === 'whole'
          ? whole
          : mode.bundle === 'short'
            ? whole.subarray(0, whole.length - 3)
            : mode.bundle === 'edited'
              ? edited
              : Buffer.from('KILNRB01, then garbage');
      res.writeHead(200, { 'content-length': sent.length }).end(sent);
    });
    const bundles = { KILN_REMOTE_CACHE_RUN_BUNDLES: '1' };
    expect((await buildAgainst(url, bundles)).warnings).toEqual([]); // fills the server: each entry, and the bundle
    expect(kept.size).toBe(3);
    const whole = await buildAgainst(url, { ...bundles, KILN_REMOTE_CACHE_READ_ONLY: '1' });
    expect(whole).toMatchObject({ warnings: [], caches: ['remote', 'remote'] });
    for (const [m, reason] of [
      ['short', 'runs past its end'],
      ['garbage', 'its header runs past its end'],
      ['edited', "the run bundle's entry"],
    ] as const) {
      mode.bundle = m;
      const { warnings, caches } = await buildAgainst(url, { ...bundles, KILN_REMOTE_CACHE_READ_ONLY: '1' });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`remote cache ${url}: the run bundle`);
      expect(warnings[0]).toContain(reason);
      expect(caches).toEqual(['remote', 'remote']);
    }
    // A new commit (a changed) has no bundle of its own and takes its parent's, whose entry of b is refused and fetched
    // alone; the bundle its run leaves holds b's entry as fetched, never as refused (a clone of that commit takes it whole).
    const changeA = (dir: string): void => {
      writeFileSync(join(dir, 'packages/a/extra.txt'), 'a new commit\n');
      git(dir, ['add', '-A']);
      git(dir, ['commit', '-q', '-m', 'change a']);
    };
    const next = await buildAgainst(url, bundles, changeA);
    expect(next.warnings).toEqual([expect.stringContaining("the run bundle's entry")]);
    mode.bundle = 'whole';
    expect(await buildAgainst(url, { ...bundles, KILN_REMOTE_CACHE_READ_ONLY: '1' }, changeA)).toMatchObject({ warnings: [], caches: ['remote', 'remote'] });
  });

  it('slower than the timeout: one line, the tasks run', async () => {
    // The server answers after 30 s: a run that waited for it would take that long, one that gave up at the timeout takes a few seconds even on a loaded machine.
    const url = await start((_req, res) => setTimeout(() => res.writeHead(404).end(), 30_000).unref());
    const started = Date.now();
    const { warnings } = await buildAgainst(url, { KILN_REMOTE_CACHE_TIMEOUT: '300' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`remote cache ${url}:`);
    expect(warnings[0]).toContain('no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('a bad setting is a configuration error (exit 2) that never shows the token', () => {
    const run = runKiln(['run', '-t', 'build'], { cwd: repo.dir, env: { KILN_REMOTE_CACHE_URL: 'ftp://cache.example.com', KILN_REMOTE_CACHE_TOKEN: TOKEN } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('KILN_REMOTE_CACHE_URL must be an http(s) URL');
    expect(run.stderr).not.toContain(TOKEN);
  });

  it("ci plan takes turbo's x-artifact-duration as a task's weight; a failing server costs only the weights", async () => {
    const plan = async (url: string) => {
      const dir = tempDir('kiln-clone-');
      git(dir, ['clone', '-q', repo.dir, '.']);
      const run = await startKiln(['ci', 'plan', '-t', 'build', '--shards', '1', '--json'], {
        cwd: dir,
        env: { KILN_REMOTE_CACHE_URL: url, KILN_REMOTE_CACHE_TOKEN: TOKEN, KILN_REMOTE_CACHE_TEAM: 'team' },
      }).done;
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr + run.stdout).not.toContain(TOKEN);
      return { estimated: run.json<{ include: { estimatedMs: number }[] }>().include[0]!.estimatedMs, stderr: run.stderr };
    };
    const timed = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-artifact-duration': '4321' });
      res.end(Buffer.alloc(100_000, 1));
    });
    servers.push(timed.server);
    const withHeader = await plan(timed.url);
    expect(withHeader.estimated).toBe(2 * 4321);
    expect(withHeader.stderr).toContain('2 of 2 tasks are weighed by durations from the remote cache');
    const failing = await serve((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    servers.push(failing.server);
    const fallback = await plan(failing.url);
    expect(fallback.stderr).toContain('2 of 2 tasks have no recorded duration');
    expect(fallback.stderr.split('\n').filter((l) => l.startsWith('warning') && l.includes(failing.url))).toHaveLength(1);
  });
});
