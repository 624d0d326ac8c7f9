import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { pushReferrers, registryReferrers } from './attach.js';
import { blob, canonicalBytes, descriptor, MEDIA, ociDigest } from './oci.js';
import { referrerFor, referrersTag } from './referrers.js';
import { RegistryClient } from './registry.js';

/** An in-memory OCI registry, with or without the referrers API (distribution-spec 1.1). */
function fakeRegistry(referrersApi: boolean): Promise<{ server: Server; port: number; manifests: Map<string, Buffer> }> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, Buffer>();
  let uploads = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      const body = Buffer.concat(chunks);
      const [, kind, ref] = /^\/v2\/shop\/app\/(blobs\/uploads|blobs|manifests|referrers)\/?(.*)$/.exec(url.pathname) ?? [];
      if (kind === 'blobs/uploads' && req.method === 'POST') return res.writeHead(202, { location: `/v2/shop/app/blobs/uploads/${++uploads}` }).end();
      if (kind === 'blobs/uploads' && req.method === 'PUT') {
        blobs.set(url.searchParams.get('digest')!, body);
        return res.writeHead(201).end();
      }
      if (kind === 'blobs')
        return blobs.has(ref!) ? res.writeHead(200, { 'docker-content-digest': ref! }).end(req.method === 'HEAD' ? undefined : blobs.get(ref!)) : res.writeHead(404).end();
      if (kind === 'manifests' && req.method === 'PUT') {
        const digest = ociDigest(body);
        manifests.set(ref!, body);
        manifests.set(digest, body);
        const subject = (JSON.parse(body.toString()) as { subject?: { digest: string } }).subject?.digest;
        return res.writeHead(201, { 'docker-content-digest': digest, ...(referrersApi && subject && { 'oci-subject': subject }) }).end();
      }
      if (kind === 'manifests') {
        const m = manifests.get(ref!);
        if (!m) return res.writeHead(404).end();
        const type = (JSON.parse(m.toString()) as { mediaType: string }).mediaType;
        return res.writeHead(200, { 'docker-content-digest': ociDigest(m), 'content-type': type, 'content-length': String(m.length) }).end(req.method === 'HEAD' ? undefined : m);
      }
      if (kind === 'referrers' && referrersApi) {
        const found = [...manifests.entries()]
          .filter(([key, m]) => key.startsWith('sha256:') && (JSON.parse(m.toString()) as { subject?: { digest: string } }).subject?.digest === ref)
          .map(([key, m]) => ({ mediaType: MEDIA.manifest, digest: key, size: m.length, artifactType: (JSON.parse(m.toString()) as { artifactType: string }).artifactType }));
        return res.writeHead(200, { 'content-type': MEDIA.index }).end(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests: found }));
      }
      res.writeHead(404).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, manifests })));
}

const image = blob(MEDIA.manifest, canonicalBytes({ schemaVersion: 2, mediaType: MEDIA.manifest, config: {}, layers: [] }));
const referrers = [
  referrerFor(
    descriptor(image),
    { artifactType: 'application/vnd.cyclonedx+json', document: blob('application/vnd.cyclonedx+json', new TextEncoder().encode('{"bom":1}')) },
    '2024-01-01T00:00:00Z',
  ),
  referrerFor(
    descriptor(image),
    { artifactType: 'application/vnd.in-toto+json', document: blob('application/vnd.in-toto+json', new TextEncoder().encode('{"statement":1}')) },
    '2024-01-01T00:00:00Z',
  ),
];

describe('referrers on a registry', () => {
  let server: Server | undefined;
  afterEach(() => void server?.close());

  it('uses the referrers API where the registry has one (OCI-Subject), and writes no fallback tag', async () => {
    const fake = await fakeRegistry(true);
    server = fake.server;
    const client = new RegistryClient({ registry: `127.0.0.1:${fake.port}`, repository: 'shop/app' }, undefined);
    await client.pushManifest('1.0.0', image.data);
    expect(await pushReferrers(client, image.digest, referrers)).toBe('api');
    expect(fake.manifests.has(referrersTag(image.digest))).toBe(false);
    expect((await registryReferrers(client, image.digest)).map((d) => d.artifactType).sort()).toEqual(['application/vnd.cyclonedx+json', 'application/vnd.in-toto+json']);
  });

  it('without one, lists them in the fallback tag, keeping what the tag listed, once each', async () => {
    const fake = await fakeRegistry(false);
    server = fake.server;
    const client = new RegistryClient({ registry: `127.0.0.1:${fake.port}`, repository: 'shop/app' }, undefined);
    await client.pushManifest('1.0.0', image.data);
    expect(await pushReferrers(client, image.digest, referrers.slice(0, 1))).toBe('tag');
    expect(await pushReferrers(client, image.digest, referrers)).toBe('tag');
    expect(await pushReferrers(client, image.digest, referrers)).toBe('tag');
    const listed = await registryReferrers(client, image.digest);
    expect(listed.map((d) => d.digest).sort()).toEqual(referrers.map((r) => r.manifest.digest).sort());
    expect(listed.every((d) => d.artifactType !== undefined)).toBe(true);
  });
});
