/**
 * A real OCI registry for tests: Debian's `docker-registry` (the CNCF distribution registry)
 * on a free loopback port with a temporary config and storage directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRegistry {
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** With `htpasswd` (`user:bcrypt-hash` lines), the registry demands HTTP Basic auth. */
export async function startRegistry(binary: string, options: { htpasswd?: string } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-registry-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = join(dir, 'config.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: error',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${join(dir, 'storage')}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: 127.0.0.1:${port}`,
        ...(options.htpasswd ? ['auth:', '  htpasswd:', '    realm: kiln-test', `    path: ${join(dir, 'htpasswd')}`] : []),
        '',
      ].join('\n'),
    );
    if (options.htpasswd) writeFileSync(join(dir, 'htpasswd'), `${options.htpasswd}\n`);
    const child: ChildProcess = spawn(binary, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    let exited = false;
    child.once('exit', () => (exited = true));
    const host = `127.0.0.1:${port}`;
    // Wait until it answers the API version check (or dies, e.g. the port was taken meanwhile).
    for (let i = 0; i < 400 && !exited; i++) {
      const ok = await fetch(`http://${host}/v2/`).then(
        (r) => r.status === 200 || r.status === 401,
        () => false,
      );
      if (ok)
        return {
          host,
          stop: async () => {
            if (!exited) {
              const gone = new Promise((r) => child.once('exit', r));
              child.kill('SIGTERM');
              await gone;
            }
            rmSync(dir, { recursive: true, force: true });
          },
        };
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    if (attempt >= 2) throw new Error(`docker-registry did not start:\n${stderr}`);
  }
}
