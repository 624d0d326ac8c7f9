import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../../../../test/helpers/registry.js';
import { findAptTools } from '../../../../test/helpers/tools.js';
import { writeLayout } from './layout.js';
import { buildImage, ociDigest } from './oci.js';
import { findCredentials } from './credentials.js';
import { parseImageReference, pushImage, RegistryClient } from './registry.js';
import { writeTar } from './tar.js';

describe('image references and credentials', () => {
  it('parses HOST/NAME[:TAG][@DIGEST]', () => {
    expect(parseImageReference('127.0.0.1:5000/shop/catalog')).toEqual({ registry: '127.0.0.1:5000', repository: 'shop/catalog' });
    expect(parseImageReference('ghcr.io/acme/user:1.2.0')).toEqual({ registry: 'ghcr.io', repository: 'acme/user', tag: '1.2.0' });
    expect(parseImageReference('catalog')).toBeUndefined();
    expect(parseImageReference('reg.io/Upper')).toBeUndefined();
  });

  it('reads the environment first, then the Docker config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-docker-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { 'https://reg.example.com': { auth: Buffer.from('ci:s3cret:x').toString('base64') } } }));
    expect(await findCredentials('reg.example.com', { DOCKER_CONFIG: dir })).toEqual({ username: 'ci', password: 's3cret:x' });
    expect(await findCredentials('other.example.com', { DOCKER_CONFIG: dir })).toBeUndefined();
    expect(await findCredentials('reg.example.com', { DOCKER_CONFIG: dir, KILN_REGISTRY_USERNAME: 'u', KILN_REGISTRY_PASSWORD: 'p' })).toEqual({ username: 'u', password: 'p' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks a credential helper (credHelpers, then credsStore) before plain auths', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-docker-'));
    // A helper speaking the Docker protocol: the server on stdin, JSON on stdout.
    writeFileSync(join(dir, 'docker-credential-fake'), '#!/bin/sh\nread server\nif [ "$server" = "reg.example.com" ]; then echo \'{"Username":"robot","Secret":"from-helper"}\'; else exit 1; fi\n', { mode: 0o755 });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ credHelpers: { 'reg.example.com': 'fake' }, auths: { 'other.example.com': { auth: Buffer.from('a:b').toString('base64') } } }));
    const env = { DOCKER_CONFIG: dir, PATH: `${dir}:${process.env.PATH}` };
    expect(await findCredentials('reg.example.com', env)).toEqual({ username: 'robot', password: 'from-helper' });
    expect(await findCredentials('other.example.com', env)).toEqual({ username: 'a', password: 'b' });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ credsStore: 'fake' }));
    expect(await findCredentials('reg.example.com', env)).toEqual({ username: 'robot', password: 'from-helper' });
    expect(await findCredentials('nowhere.example.com', env)).toBeUndefined();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a Bearer challenge with a token fetched with Basic credentials, and never puts them in errors', async () => {
    const seen: string[] = [];
    const server: Server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/token') {
        seen.push(`token ${req.headers.authorization} ${url.searchParams.get('scope')}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'T0K3N' }));
        return;
      }
      if (req.headers.authorization !== 'Bearer T0K3N') {
        const port = (server.address() as { port: number }).port;
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="test"` }).end();
        return;
      }
      seen.push(`${req.method} ${url.pathname}`);
      res.writeHead(req.method === 'HEAD' ? 404 : 403).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const client = new RegistryClient({ registry: `127.0.0.1:${port}`, repository: 'shop/catalog' }, { username: 'ci', password: 'hunter2' });
    expect(await client.hasBlob(`sha256:${'0'.repeat(64)}`)).toBe(false);
    const error = await client.pushBlob(`sha256:${'0'.repeat(64)}`, new Uint8Array(1)).catch((e: Error) => e);
    expect(String(error)).toMatch(/start blob upload failed with HTTP 403/);
    expect(String(error)).not.toContain('hunter2');
    expect(seen[0]).toBe(`token Basic ${Buffer.from('ci:hunter2').toString('base64')} repository:shop/catalog:pull,push`);
    expect(seen).toContain(`HEAD /v2/shop/catalog/blobs/sha256:${'0'.repeat(64)}`);
    await new Promise((r) => server.close(r));
  });
});

/**
 * A registry that misbehaves on purpose: an in-memory OCI distribution API in which each request
 * may first meet a fault (an HTTP status, a hang, a body cut short, an HTML page).
 */
type Fault = 'hang' | 'truncate' | 'html' | number;
async function faultRegistry(faultFor: (method: string, path: string, n: number) => Fault | undefined) {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, Buffer>();
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      const key = `${req.method} ${url.pathname}`;
      seen.push(key);
      const fault = faultFor(req.method!, url.pathname, seen.filter((k) => k === key).length);
      if (fault === 'hang') return; // never answers
      if (fault === 'html') return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html><body>Please sign in</body></html>');
      if (typeof fault === 'number') return res.writeHead(fault).end();
      const send = (status: number, body: Buffer, headers: Record<string, string> = {}) => {
        if (fault === 'truncate' && req.method === 'GET') {
          res.writeHead(status, { ...headers, 'content-length': String(body.length) });
          res.write(body.subarray(0, body.length >> 1));
          return res.destroy();
        }
        res.writeHead(status, { ...headers, 'content-length': String(body.length) }).end(req.method === 'HEAD' ? undefined : body);
      };
      const m = /^\/v2\/shop\/catalog\/(blobs|manifests)\/(.+)$/.exec(url.pathname);
      if (req.method === 'POST' && url.pathname === '/v2/shop/catalog/blobs/uploads/') return res.writeHead(202, { location: '/v2/shop/catalog/blobs/uploads/1' }).end();
      if (req.method === 'PUT' && url.pathname === '/v2/shop/catalog/blobs/uploads/1') {
        blobs.set(url.searchParams.get('digest')!, Buffer.concat(chunks));
        return res.writeHead(201).end();
      }
      if (!m) return res.writeHead(404).end();
      const [, kind, ref] = m;
      if (kind === 'manifests' && req.method === 'PUT') {
        const body = Buffer.concat(chunks);
        manifests.set(ref!, body);
        manifests.set(ociDigest(body), body);
        return res.writeHead(201, { 'docker-content-digest': ociDigest(body) }).end();
      }
      const body = (kind === 'blobs' ? blobs : manifests).get(ref!);
      if (!body) return res.writeHead(404).end();
      send(200, body, { 'docker-content-digest': ociDigest(body), 'content-type': kind === 'blobs' ? 'application/octet-stream' : 'application/vnd.oci.image.manifest.v1+json' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  const client = (options: { timeoutMs?: number } = {}) => new RegistryClient({ registry: host, repository: 'shop/catalog' }, undefined, { backoffMs: 10, timeoutMs: 2_000, ...options });
  return { client, seen, stop: () => new Promise((r) => server.close(r)).then(() => server.closeAllConnections()) };
}

describe('a registry that fails', () => {
  const tar = writeTar([{ type: 'file', path: 'app/hello.txt', data: new TextEncoder().encode('hello\n') }], 1_700_000_000);
  const image = buildImage({ layerTar: tar, project: 'catalog', version: '1.0.0', revision: 'a'.repeat(40), created: 1_700_000_000, inputHash: 'h1' });
  const blobs = new Map([image.layer, image.config].map((b) => [b.digest, b.data]));
  const push = (client: RegistryClient) => pushImage(client, { manifest: image.manifest, blobs: [image.layer, image.config] }, async (d) => blobs.get(d)!, '1.0.0');

  it('is retried with backoff after a 503 or a dropped answer, and the push succeeds', async () => {
    const r = await faultRegistry((method, path, n) => (n === 1 && method === 'HEAD' ? 503 : n <= 2 && method === 'GET' ? 'truncate' : undefined));
    try {
      expect((await push(r.client())).digest).toBe(image.manifest.digest);
      expect(r.seen.filter((k) => k.startsWith('HEAD /v2/shop/catalog/blobs/'))).toHaveLength(4);
      expect(ociDigest(await r.client().getBlob(image.layer.digest))).toBe(image.layer.digest);
    } finally {
      await r.stop();
    }
  });

  it('that never answers gives up within its timeout on every attempt, never hangs', async () => {
    const r = await faultRegistry(() => 'hang');
    try {
      const started = Date.now();
      const error = await push(r.client({ timeoutMs: 300 })).catch((e: Error) => e);
      expect(String(error)).toMatch(/cannot reach registry .*HEAD .*3 attempts.*no answer within 300 ms/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await r.stop();
    }
  });

  it('that keeps failing with a 500 says so with the status', async () => {
    const r = await faultRegistry((method) => (method === 'PUT' ? 500 : undefined));
    try {
      expect(String(await push(r.client()).catch((e: Error) => e))).toMatch(/upload blob sha256:[0-9a-f]+ failed with HTTP 500/);
    } finally {
      await r.stop();
    }
  });

  it('that answers with an HTML page is an error, never a blob it has or a manifest it stored', async () => {
    const r = await faultRegistry(() => 'html');
    try {
      const error = await push(r.client()).catch((e: Error) => e);
      expect(String(error)).toMatch(/answered HEAD \/v2\/shop\/catalog\/blobs\/sha256:[0-9a-f]+ with an HTML page/);
      expect(r.seen.some((k) => k.startsWith('PUT'))).toBe(false);
    } finally {
      await r.stop();
    }
  });

  it('tells a tag it does not hold (404) from one it cannot answer for (503): the latter is an error', async () => {
    const r = await faultRegistry((method, path) => (method === 'HEAD' && path.endsWith('/manifests/9.9.9') ? 503 : undefined));
    try {
      expect(await r.client().manifestDigest('1.0.0')).toBeUndefined();
      await push(r.client());
      expect(await r.client().manifestDigest('1.0.0')).toBe(image.manifest.digest);
      expect(String(await r.client().manifestDigest('9.9.9').catch((e: Error) => e))).toMatch(/check manifest 9.9.9 failed with HTTP 503/);
    } finally {
      await r.stop();
    }
  });
});

// Without them, the tests that need them skip, and the run ends with a line saying so.
const { registry: registryBin, skopeo, umoci } = findAptTools();

describe.skipIf(!registryBin)('a real registry round trip (docker-registry)', () => {
  let registry: TestRegistry;
  const dir = mkdtempSync(join(tmpdir(), 'kiln-oci-'));
  beforeAll(async () => {
    registry = await startRegistry(registryBin!);
  });
  afterAll(async () => {
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const tar = writeTar([{ type: 'file', path: 'app/hello.txt', data: new TextEncoder().encode('hello\n') }], 1_700_000_000);
  const image = buildImage({ layerTar: tar, project: 'catalog', version: '1.0.0', revision: 'a'.repeat(40), created: 1_700_000_000, inputHash: 'h1' });

  it('pushes blobs and the manifest, then pulls them back with the same digests', async () => {
    const client = new RegistryClient({ registry: registry.host, repository: 'shop/catalog' }, undefined);
    const blobs = new Map([image.layer, image.config].map((b) => [b.digest, b.data]));
    const first = await pushImage(client, { manifest: image.manifest, blobs: [image.layer, image.config] }, async (d) => blobs.get(d)!, '1.0.0');
    expect(first).toEqual({ digest: image.manifest.digest, uploaded: 2 });
    // Pushing again uploads nothing: HEAD finds every blob.
    expect((await pushImage(client, { manifest: image.manifest, blobs: [image.layer, image.config] }, async (d) => blobs.get(d)!, '1.0.0')).uploaded).toBe(0);
    const pulled = await client.getManifest('1.0.0');
    expect(pulled.digest).toBe(image.manifest.digest);
    expect(ociDigest(await client.getBlob(image.layer.digest))).toBe(image.layer.digest);
    expect(ociDigest(await client.getBlob(image.config.digest))).toBe(image.config.digest);
  });

  it('authenticates with Basic credentials from the Docker config, and says so when they are missing or wrong', async () => {
    // bcrypt of "s3cret-pw", as htpasswd -B writes it.
    const secured = await startRegistry(registryBin!, { htpasswd: 'ci:$2b$12$24/sZX2khV1ze/Ig7SXc7uLiPuUGgbVxBD8N1j4XwzlknDsI.q3oq' });
    try {
      const ref = { registry: secured.host, repository: 'shop/catalog' };
      const blobs = new Map([image.layer, image.config].map((b) => [b.digest, b.data]));
      const push = (client: RegistryClient) => pushImage(client, { manifest: image.manifest, blobs: [image.layer, image.config] }, async (d) => blobs.get(d)!, '1.0.0');
      const anonymous = await push(new RegistryClient(ref, undefined)).catch((e: Error) => e);
      expect(String(anonymous)).toMatch(/check blob failed with HTTP 401[\s\S]*Log in/);
      const wrong = await push(new RegistryClient(ref, { username: 'ci', password: 'nope-pw' })).catch((e: Error) => e);
      expect(String(wrong)).toMatch(/HTTP 401/);
      expect(String(wrong)).not.toContain('nope-pw');
      const docker = join(dir, 'docker');
      mkdirSync(docker);
      writeFileSync(join(docker, 'config.json'), JSON.stringify({ auths: { [secured.host]: { auth: Buffer.from('ci:s3cret-pw').toString('base64') } } }));
      const credentials = await findCredentials(secured.host, { DOCKER_CONFIG: docker });
      expect((await push(new RegistryClient(ref, credentials))).digest).toBe(image.manifest.digest);
    } finally {
      await secured.stop();
    }
  });

  it.skipIf(!skopeo)('skopeo reads the layout and the pushed image alike', async () => {
    const layout = join(dir, 'layout');
    await writeLayout(layout, image);
    const local = JSON.parse(execFileSync(skopeo!, ['inspect', `oci:${layout}:1.0.0`], { encoding: 'utf8' }));
    expect(local.Digest).toBe(image.manifest.digest);
    expect(local.Labels['org.opencontainers.image.version']).toBe('1.0.0');
    const remote = JSON.parse(execFileSync(skopeo!, ['inspect', '--tls-verify=false', `docker://${registry.host}/shop/catalog:1.0.0`], { encoding: 'utf8' }));
    expect(remote.Digest).toBe(image.manifest.digest);
    expect(remote.Layers).toEqual([image.layer.digest]);
  });

  it.skipIf(!umoci)('umoci unpacks the layout', async () => {
    const layout = join(dir, 'layout2');
    await writeLayout(layout, image);
    expect(execFileSync(umoci!, ['ls', '--layout', layout], { encoding: 'utf8' }).trim()).toBe('1.0.0');
    const bundle = join(dir, 'bundle');
    mkdirSync(dir, { recursive: true });
    execFileSync(umoci!, ['unpack', '--rootless', '--image', `${layout}:1.0.0`, bundle], { encoding: 'utf8' });
    expect(execFileSync('cat', [join(bundle, 'rootfs/app/hello.txt')], { encoding: 'utf8' })).toBe('hello\n');
  });
});
