import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectEntries, extractTar, readBaseFromLayout, writeLayout } from './layout.js';
import { buildImage, ociDigest } from './oci.js';
import { writeTar } from './tar.js';

const root = mkdtempSync(join(tmpdir(), 'kiln-layout-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Rewrites the name of the first header (same length) and fixes its checksum: how a hostile archive is made. */
function renamed(tar: Uint8Array, from: string, to: string): Uint8Array {
  const out = new Uint8Array(tar);
  const at = Buffer.from(out.buffer).indexOf(from);
  out.set(new TextEncoder().encode(to), at);
  out.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of out.subarray(0, 512)) sum += x;
  out.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
  return out;
}

describe('collecting build outputs', () => {
  it('gives the same entries whatever the file times and permissions', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    for (const [dir, time, mode] of [[a, 1_000_000, 0o600], [b, 1_600_000_000, 0o664]] as const) {
      mkdirSync(join(dir, 'lib'), { recursive: true });
      writeFileSync(join(dir, 'lib', 'x.js'), 'x');
      writeFileSync(join(dir, 'run'), '#!/bin/sh');
      chmodSync(join(dir, 'run'), 0o755);
      chmodSync(join(dir, 'lib', 'x.js'), mode);
      symlinkSync('lib/x.js', join(dir, 'main.js'));
      utimesSync(join(dir, 'lib', 'x.js'), time, time);
    }
    const ta = writeTar(await collectEntries(a, 'app'), 5);
    const tb = writeTar(await collectEntries(b, 'app'), 5);
    expect(ociDigest(ta)).toBe(ociDigest(tb));
  });
});

describe('extractTar', () => {
  it('round-trips files, modes and symlinks', async () => {
    const tar = writeTar(
      [
        { type: 'file', path: 'a/run', data: new TextEncoder().encode('#!/bin/sh'), executable: true },
        { type: 'symlink', path: 'a/link', target: 'run' },
      ],
      0,
    );
    const out = join(root, 'ok');
    expect(await extractTar(tar, out)).toEqual(['a/link', 'a/run']);
    expect(statSync(join(out, 'a/run')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(out, 'a/link'))).toBe('run');
  });

  it('never writes outside the target directory', async () => {
    const target = join(root, 'target');
    const escape = renamed(writeTar([{ type: 'file', path: 'xx/evil.txt', data: new Uint8Array([1]) }], 0), 'xx/evil', '../evil');
    await expect(extractTar(escape, target)).rejects.toThrow(/refusing to extract "..\/evil.txt": its path leaves the target/);
    const absolute = renamed(writeTar([{ type: 'file', path: 'tmp/evil.txt', data: new Uint8Array([1]) }], 0), 'tmp/evil', '/mp/evil');
    await expect(extractTar(absolute, target)).rejects.toThrow(/leaves the target/);
    const link = writeTar([{ type: 'symlink', path: 'up', target: '../../etc' }], 0);
    await expect(extractTar(link, target)).rejects.toThrow(/link target "..\/..\/etc" leaves the target/);
    const through = writeTar(
      [
        { type: 'symlink', path: 'd', target: '.' },
        { type: 'file', path: 'd/x', data: new Uint8Array([1]) },
      ],
      0,
    );
    await expect(extractTar(through, target)).rejects.toThrow(/below a symlink/);
    expect(existsSync(join(root, 'evil.txt'))).toBe(false);
    expect(existsSync(target)).toBe(false);
  });
});

describe('OCI layouts on disk', () => {
  it('writes a layout that reads back as a base image', async () => {
    const tar = writeTar([{ type: 'file', path: 'bin/hello', data: new TextEncoder().encode('hi'), executable: true }], 0);
    const image = buildImage({ layerTar: tar, project: 'base', version: '1.0.0', revision: 'r', created: 0, inputHash: 'h' });
    const dir = join(root, 'base-layout');
    await writeLayout(dir, image);
    expect(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(ociDigest(readFileSync(join(dir, 'blobs/sha256', image.manifest.digest.slice(7))))).toBe(image.manifest.digest);
    const base = await readBaseFromLayout(`${dir}:1.0.0`, { os: 'linux', architecture: 'amd64' });
    expect(base.image.manifest.layers[0]!.digest).toBe(image.layer.digest);
    expect(ociDigest(await base.blob(image.layer.digest))).toBe(image.layer.digest);
    await expect(readBaseFromLayout(`${dir}:2.0.0`, { os: 'linux', architecture: 'amd64' })).rejects.toThrow(/no image named "2.0.0"/);
  });
});
