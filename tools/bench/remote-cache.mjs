/**
 * Scenario 8 of the benchmark: a fresh clone (no outputs, no local cache, no tool state) whose
 * remote cache holds every task, kiln and turbo against the same Turborepo remote cache server
 * (`turborepo-remote-cache` from npm, local storage, on 127.0.0.1). Both are configured by
 * turbo's own variables (TURBO_API, TURBO_TOKEN, TURBO_TEAM), which kiln reads too. The row's
 * setup starts the server and fills it with one cold build per tool; each timed run then removes
 * the outputs and the tool's state first. nx has no self-hosted remote cache of this API.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const TOKEN = 'bench-token';
const TEAM = 'bench';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts turborepo-remote-cache with its storage in a temporary folder. */
export async function startTurboCacheServer(kilnRepoRoot, work) {
  // In the bench's own work folder: a run takes long, and shared temporary folders get cleaned meanwhile.
  const dir = mkdtempSync(join(work, 'remote-cache-'));
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    TURBO_TOKEN: TOKEN,
    STORAGE_PROVIDER: 'local',
    STORAGE_PATH: dir,
    STORAGE_PATH_USE_TMP_FOLDER: 'false',
    LOG_LEVEL: 'warn',
  };
  const child = spawn(process.execPath, [join(kilnRepoRoot, 'node_modules/turborepo-remote-cache/dist/cli.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const up = await fetch(`${url}/v8/artifacts/status`, { headers: { authorization: `Bearer ${TOKEN}` } }).then(
      (r) => r.ok,
      () => false,
    );
    if (up)
      return {
        url,
        env: { TURBO_API: url, TURBO_TOKEN: TOKEN, TURBO_TEAM: TEAM },
        stop: () => {
          child.kill('SIGTERM');
          rmSync(dir, { recursive: true, force: true });
        },
      };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`turborepo-remote-cache did not start:\n${stderr}`);
}

/**
 * The row (see run.mjs `scenarios`): `h` holds what the other build rows use (`dir`, `buildCmd`,
 * `rmState`, `rmOutputs`, `outputsPresent`, `measure`) and `ctx`.
 */
export function remoteCacheRow(h) {
  const { ctx } = h;
  let server;
  const tools = () => ['kiln', 'turbo'].filter((t) => !ctx.opts.skip.includes(t));
  const fresh = (tool) => {
    h.rmOutputs(h.dir(tool));
    h.rmState(tool, h.dir(tool));
  };
  return {
    id: '8',
    scenario: 8,
    title: 'fresh clone, empty local cache, full remote cache (same turborepo-remote-cache server)',
    note: 'kiln and turbo both read TURBO_API/TURBO_TOKEN/TURBO_TEAM; each timed run removes outputs and tool state first; nx has no equivalent (its remote cache is Nx Cloud or a paid plugin)',
    cmd: { kiln: h.buildCmd.kiln, turbo: h.buildCmd.turbo },
    ownCopy: true,
    env: () => ({ ...ctx.env, ...server?.env }),
    setup: async () => {
      server = await startTurboCacheServer(h.kilnRepoRoot, ctx.work);
      ctx.log(`  (remote cache server ${server.url}; filling it with one cold build per tool)`);
      for (const tool of tools()) {
        fresh(tool);
        const r = await h.measure([...ctx.bin[tool], ...h.buildCmd[tool]], { cwd: h.dir(tool), env: { ...ctx.env, ...server.env } });
        if (r.code !== 0) ctx.log(`  (filling the remote cache with ${tool}'s build failed with exit ${r.code})`);
        else ctx.log(`  (${tool}'s cold build with uploads: ${(r.ms / 1000).toFixed(1)} s)`);
      }
    },
    prepare: fresh,
    teardown: () => server?.stop(),
    check: (tool, r) => h.outputsPresent(h.dir(tool)) ?? (tool === 'kiln' && !/\(\d+ from the remote cache\)/.test(r.stderr) ? 'nothing came from the remote cache' : undefined),
  };
}
