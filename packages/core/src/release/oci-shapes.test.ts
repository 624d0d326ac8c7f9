/** The OCI documents kiln reads from a base image (a layout on disk or a registry): the wrong shape is a message, never a crash. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KilnError } from '../model/index.js';
import { readBaseFromLayout } from './layout.js';
import { imageConfigProblem, imageIndexProblem, manifestProblem, ociDigest, ociJson } from './oci.js';

const digest = `sha256:${'a'.repeat(64)}`;
const descriptor = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: 3 };

describe('the shapes of OCI documents', () => {
  it('accepts what the image spec describes', () => {
    expect(imageIndexProblem({ schemaVersion: 2, manifests: [{ digest, size: 3, platform: { os: 'linux', architecture: 'amd64' } }] })).toBeUndefined();
    expect(manifestProblem({ schemaVersion: 2, config: descriptor, layers: [descriptor] })).toBeUndefined();
    expect(imageConfigProblem({ config: { Env: ['A=1'], Labels: {} }, rootfs: { type: 'layers', diff_ids: [digest] }, history: [] })).toBeUndefined();
  });

  it('says what is wrong with anything else', () => {
    expect(imageIndexProblem([])).toBe('is not an image index (an object with a "manifests" list)');
    expect(imageIndexProblem({ manifests: [{ digest: 'x', size: 1 }] })).toBe('manifests[0].digest is not a digest');
    expect(manifestProblem({ config: 1, layers: [] })).toBe('config is not a descriptor (an object with "mediaType", "digest" and "size")');
    expect(manifestProblem({ config: descriptor, layers: [{ digest, size: -1 }] })).toBe('layers[0].size is not a size in bytes');
    expect(manifestProblem({ config: descriptor })).toBe('"layers" is not a list');
    expect(imageConfigProblem({ config: { Env: 'A=1' } })).toBe('"config.Env" is not a list of strings');
    expect(imageConfigProblem({ rootfs: { diff_ids: 5 } })).toBe('"rootfs.diff_ids" is not a list of digests');
    expect(ociJson('{', manifestProblem)).toEqual({ ok: false, error: 'is not JSON' });
  });
});

describe('a base image layout of the wrong shape', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-base-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const platform = { os: 'linux', architecture: 'amd64' };
  /** A layout whose index names one manifest blob holding `manifest`. */
  function layout(manifest: string): void {
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    const d = ociDigest(manifest);
    writeFileSync(join(dir, 'blobs', 'sha256', d.slice(7)), manifest);
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d, size: manifest.length }] }));
  }
  const failure = (e: unknown) => (e instanceof KilnError ? [e.diagnostics[0]!.code, e.message.split('\n')[0]] : e);

  it('is an error naming the layout and the document, never a TypeError', async () => {
    layout('{"schemaVersion": 2, "config": 1, "layers": []}');
    expect(failure(await readBaseFromLayout(dir, platform).catch((e: unknown) => e))).toEqual([
      'artifact-base-invalid',
      `base image layout ${dir}: the manifest ${ociDigest('{"schemaVersion": 2, "config": 1, "layers": []}')} config is not a descriptor (an object with "mediaType", "digest" and "size").`,
    ]);
    writeFileSync(join(dir, 'index.json'), '{"manifests": 5}');
    expect(failure(await readBaseFromLayout(dir, platform).catch((e: unknown) => e))).toEqual(['artifact-base-invalid', `base image layout ${dir}: index.json is not an image index (an object with a "manifests" list).`]);
  });

  it('names a blob the layout lacks', async () => {
    layout(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: 2 }, layers: [] }));
    expect(failure(await readBaseFromLayout(dir, platform).catch((e: unknown) => e))).toEqual(['oci-blob-missing', `${dir} names blob ${digest} but does not hold it.`]);
  });
});
