/**
 * Real remote cache servers for tests, on free loopback ports with temporary storage:
 * `turborepo-remote-cache` from npm (local storage) for Turborepo's API, and nginx from Debian
 * with WebDAV PUT for Bazel's HTTP cache protocol (one process, no root needed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './env.js';
import { freePort } from './registry.js';

export { freePort };

export interface CacheServer {
  readonly url: string;
  /** Where the server keeps what it is sent. */
  readonly storage: string;
  readonly pid: number;
  /** What the server logged about requests (turbo: its JSON log; nginx: the access log). */
  requests(): string;
  stop(): Promise<void>;
}

async function started(child: ChildProcess, probe: () => Promise<boolean>, what: string, log: () => string): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let i = 0; i < 300 && !exited; i++) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${what} did not start:\n${log()}`);
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

/** ducktors' turborepo-remote-cache with local storage; `signatureKey` makes it keep (not check) artifact tags. */
export async function startTurboServer(options: { token: string; signatureKey?: string }): Promise<CacheServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-turbo-cache-'));
  const storage = join(dir, 'storage');
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    TURBO_TOKEN: options.token,
    STORAGE_PROVIDER: 'local',
    STORAGE_PATH: storage,
    STORAGE_PATH_USE_TMP_FOLDER: 'false',
    LOG_LEVEL: 'info',
    // A file, not a pipe: a test blocked in spawnSync cannot read a pipe, so what it read would lag.
    LOG_MODE: 'file',
    LOG_FILE: join(dir, 'server.log'),
    ...(options.signatureKey !== undefined && { TURBO_REMOTE_CACHE_SIGNATURE_KEY: options.signatureKey }),
  };
  const child = spawn(process.execPath, [join(repoRoot, 'node_modules/turborepo-remote-cache/dist/cli.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += String(d)));
  child.stderr!.on('data', (d) => (log += String(d)));
  const url = `http://127.0.0.1:${port}`;
  await started(
    child,
    async () => (await fetch(`${url}/v8/artifacts/status`, { headers: { authorization: `Bearer ${options.token}` } })).status === 200,
    'turborepo-remote-cache',
    () => log,
  );
  const requests = (): string => {
    try {
      return readFileSync(join(dir, 'server.log'), 'utf8');
    } catch {
      return '';
    }
  };
  return { url, storage, pid: child.pid!, requests, stop: stopper(child, dir) };
}

/** nginx serving a folder with WebDAV PUT (the Bazel HTTP cache as nginx does it); every request goes to its access log. */
export async function startNginx(binary: string): Promise<CacheServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-nginx-cache-'));
  const storage = join(dir, 'storage');
  mkdirSync(join(storage, 'ac'), { recursive: true });
  mkdirSync(join(storage, 'cas'), { recursive: true });
  mkdirSync(join(dir, 'logs'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    [
      'master_process off;',
      'daemon off;',
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'logs/error.log')} warn;`,
      'events { worker_connections 256; }',
      'http {',
      `  access_log ${join(dir, 'logs/access.log')};`,
      `  client_body_temp_path ${join(dir, 'body')};`,
      `  proxy_temp_path ${join(dir, 'proxy')};`,
      `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
      `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
      `  scgi_temp_path ${join(dir, 'scgi')};`,
      '  client_max_body_size 1g;',
      '  server {',
      `    listen 127.0.0.1:${port};`,
      `    root ${storage};`,
      '    dav_methods PUT;',
      '    create_full_put_path on;',
      '    dav_access user:rw;',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-p', dir, '-c', conf, '-e', join(dir, 'logs/error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += String(d)));
  const url = `http://127.0.0.1:${port}`;
  const read = (f: string): string => {
    try {
      return readFileSync(join(dir, 'logs', f), 'utf8');
    } catch {
      return '';
    }
  };
  await started(
    child,
    async () => (await fetch(`${url}/ac/none`)).status === 404,
    'nginx',
    () => log + read('error.log'),
  );
  return { url, storage, pid: child.pid!, requests: () => read('access.log'), stop: stopper(child, dir) };
}
