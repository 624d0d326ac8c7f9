import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage, canonicalBytes, gzipDeterministic, ociDigest } from './oci.js';
import { readTar, writeTar, type TarEntry } from './tar.js';

const text = (s: string) => new TextEncoder().encode(s);
const long = `${'deep/'.repeat(40)}file.txt`;
const entries: TarEntry[] = [
  { type: 'file', path: 'app/server.js', data: text('console.log(1)\n') },
  { type: 'directory', path: 'app' },
  { type: 'file', path: 'app/bin/start', data: text('#!/bin/sh\n'), executable: true },
  { type: 'directory', path: 'app/bin' },
  { type: 'symlink', path: 'app/main.js', target: 'server.js' },
  { type: 'file', path: `app/${long}`, data: text('long\n') },
  { type: 'file', path: 'app/ünïcode.txt', data: text('u\n') },
];

describe('writeTar', () => {
  const tar = writeTar(entries, 1_700_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'kiln-tar-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('does not depend on the order entries come in', () => {
    expect(ociDigest(writeTar([...entries].reverse(), 1_700_000_000))).toBe(ociDigest(tar));
  });

  it('writes sorted entries with fixed modes, owner 0 and no names, at the given mtime', () => {
    const read = readTar(tar);
    expect(read.map((e) => e.path)).toEqual([
      'app/',
      'app/bin/',
      'app/bin/start',
      `app/${long}`,
      'app/main.js',
      'app/server.js',
      'app/ünïcode.txt',
    ]);
    for (const e of read) {
      expect([e.uid, e.gid, e.uname, e.gname, e.mtime]).toEqual([0, 0, '', '', 1_700_000_000]);
    }
    expect(read.find((e) => e.path === 'app/bin/start')!.mode).toBe(0o755);
    expect(read.find((e) => e.path === 'app/server.js')!.mode).toBe(0o644);
    expect(read.find((e) => e.path === 'app/')!.mode).toBe(0o755);
    expect(read.find((e) => e.path === 'app/main.js')).toMatchObject({ type: 'symlink', linkTarget: 'server.js' });
  });

  it('is read the same way by GNU tar', () => {
    const file = join(dir, 'a.tar');
    writeFileSync(file, tar);
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', file], { encoding: 'utf8' }).trim().split('\n');
    expect(listing).toHaveLength(7);
    expect(listing[2]).toMatch(/^-rwxr-xr-x 0\/0 +10 2023-11-14 \d\d:\d\d app\/bin\/start$/);
    expect(listing[3]).toContain(long);
    execFileSync('tar', ['-xf', file, '-C', dir]);
  });

  it('refuses paths that are absolute, hold "..", or repeat', () => {
    expect(() => writeTar([{ type: 'directory', path: '/etc' }], 0)).toThrow(/relative/);
    expect(() => writeTar([{ type: 'directory', path: 'a/../b' }], 0)).toThrow(/relative/);
    expect(() => writeTar([{ type: 'directory', path: 'a' }, { type: 'directory', path: 'a/' }], 0)).toThrow(/twice/);
  });
});

describe('gzip and OCI image data', () => {
  const tar = writeTar(entries, 1_700_000_000);

  it('gzips without name or mtime, OS byte 3, and unzips to the tar', () => {
    const gz = gzipDeterministic(tar);
    expect([...gz.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
    expect(ociDigest(gunzipSync(gz))).toBe(ociDigest(tar));
  });

  it('serialises JSON canonically', () => {
    expect(new TextDecoder().decode(canonicalBytes({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } }))).toBe('{"a":{"d":[2,{"y":2,"z":1}]},"b":1}');
  });

  it('builds manifest, config and index that point at each other, with the annotations', () => {
    const image = buildImage({ layerTar: tar, project: 'catalog', version: '1.2.0', revision: 'f'.repeat(40), created: 1_700_000_000, inputHash: 'abc123', source: 'https://example.com/shop' });
    const manifest = JSON.parse(new TextDecoder().decode(image.manifest.data));
    const config = JSON.parse(new TextDecoder().decode(image.config.data));
    const index = JSON.parse(new TextDecoder().decode(image.index));
    expect(manifest.config).toEqual({ mediaType: 'application/vnd.oci.image.config.v1+json', digest: image.config.digest, size: image.config.size });
    expect(manifest.layers).toEqual([{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: image.layer.digest, size: image.layer.size }]);
    expect(manifest.annotations).toEqual({
      'dev.kiln.input-hash': 'abc123',
      'org.opencontainers.image.created': '2023-11-14T22:13:20Z',
      'org.opencontainers.image.revision': 'f'.repeat(40),
      'org.opencontainers.image.source': 'https://example.com/shop',
      'org.opencontainers.image.title': 'catalog',
      'org.opencontainers.image.version': '1.2.0',
    });
    expect(config.rootfs).toEqual({ type: 'layers', diff_ids: [ociDigest(tar)] });
    expect(config.created).toBe('2023-11-14T22:13:20Z');
    expect(index.manifests[0]).toMatchObject({ digest: image.manifest.digest, annotations: { 'org.opencontainers.image.ref.name': '1.2.0' } });
    // Same input, same digests; a different input hash changes the manifest.
    expect(buildImage({ layerTar: tar, project: 'catalog', version: '1.2.0', revision: 'f'.repeat(40), created: 1_700_000_000, inputHash: 'abc123', source: 'https://example.com/shop' }).manifest.digest).toBe(image.manifest.digest);
    expect(buildImage({ layerTar: tar, project: 'catalog', version: '1.2.0', revision: 'f'.repeat(40), created: 1_700_000_000, inputHash: 'other', source: 'https://example.com/shop' }).manifest.digest).not.toBe(image.manifest.digest);
  });

  it('stacks on a base image: base layers first, diff_ids and history extended', () => {
    const base = {
      manifest: {
        schemaVersion: 2 as const,
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: 'sha256:' + '1'.repeat(64), size: 10 },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: 'sha256:' + '2'.repeat(64), size: 20 }],
      },
      config: { os: 'linux', architecture: 'arm64', config: { Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: ['sha256:' + '3'.repeat(64)] }, history: [{ created_by: 'base' }] },
    };
    const image = buildImage({ layerTar: tar, project: 'user', version: '1.0.0', revision: 'e'.repeat(40), created: 0, inputHash: 'h', base, container: { cmd: ['node', '/app/server.js'], env: ['A=2'] } });
    const manifest = JSON.parse(new TextDecoder().decode(image.manifest.data));
    const config = JSON.parse(new TextDecoder().decode(image.config.data));
    expect(manifest.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar+gzip']);
    expect(manifest.layers[0].digest).toBe('sha256:' + '2'.repeat(64));
    expect(config.architecture).toBe('arm64');
    expect(config.rootfs.diff_ids).toEqual(['sha256:' + '3'.repeat(64), ociDigest(tar)]);
    expect(config.config.Env).toEqual(['PATH=/bin', 'A=2']);
    expect(config.config.Cmd).toEqual(['node', '/app/server.js']);
    expect(config.history).toHaveLength(2);
  });
});
