/**
 * Edge: files on disk ↔ artifacts. Collects a build output directory into tar entries, writes
 * and reads OCI image layouts, and extracts a tarball without ever writing outside its target.
 */
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, resolve, sep } from 'node:path';
import { diagnostic, KilnError } from '../model/index.js';
import { imageConfigProblem, imageIndexProblem, manifestProblem, MEDIA, ociDigest, ociJson, selectManifest, type BaseImage, type Descriptor, type Image, type ImageIndex, type Manifest, type Platform } from './oci.js';
import { readTar, type TarEntry } from './tar.js';

/**
 * Every file, directory and symlink below `dir`, as tar entries under `prefix` (e.g. `app`).
 * Only the executable bit of a file's mode is kept; owners and times are dropped.
 */
export async function collectEntries(dir: string, prefix: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const parts = prefix.split('/').filter((p) => p !== '');
  for (let i = 1; i <= parts.length; i++) entries.push({ type: 'directory', path: parts.slice(0, i).join('/') });
  const walk = async (abs: string, rel: string): Promise<void> => {
    const names = (await readdir(abs)).sort();
    for (const name of names) {
      const a = join(abs, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      const path = prefix === '' ? r : `${prefix}/${r}`;
      const st = await lstat(a);
      if (st.isSymbolicLink()) entries.push({ type: 'symlink', path, target: await readlink(a) });
      else if (st.isDirectory()) {
        entries.push({ type: 'directory', path });
        await walk(a, r);
      } else if (st.isFile()) entries.push({ type: 'file', path, data: await readFile(a), executable: (st.mode & 0o111) !== 0 });
    }
  };
  await walk(dir, '');
  return entries;
}

export interface LayoutBlobSource {
  /** Bytes of a blob the layout needs but the image does not carry (base layers), by digest. */
  (digest: string): Promise<Uint8Array>;
}

/**
 * Writes `image` as an OCI image layout in `dir` (replacing what was there), copying base
 * layers from `baseBlob`. Written to a sibling temp dir first and renamed into place.
 */
export async function writeLayout(dir: string, image: Image, baseBlob?: LayoutBlobSource): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, 'blobs', 'sha256'), { recursive: true });
  const put = async (digest: string, data: Uint8Array) => writeFile(join(tmp, 'blobs', 'sha256', digest.slice('sha256:'.length)), data);
  for (const b of [image.layer, image.config, image.manifest]) await put(b.digest, b.data);
  for (const l of image.baseLayers) {
    if (!baseBlob) throw new Error(`base layer ${l.digest} has no source`);
    const data = await baseBlob(l.digest);
    if (ociDigest(data) !== l.digest) throw new KilnError(diagnostic('artifact-base-corrupt', `base image layer ${l.digest} does not match its digest.`));
    await put(l.digest, data);
  }
  await writeFile(join(tmp, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(tmp, 'index.json'), image.index);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
  await rename(tmp, dir);
}

/** Reads a blob from a layout, checking its digest. */
export async function readLayoutBlob(dir: string, digest: string): Promise<Uint8Array> {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new KilnError(diagnostic('oci-bad-digest', `unsupported digest "${digest}" in ${dir}.`));
  const data = await readFile(join(dir, 'blobs', 'sha256', digest.slice(7))).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT' && e.code !== 'EISDIR') throw e;
    throw new KilnError(diagnostic('oci-blob-missing', `${dir} names blob ${digest} but does not hold it.`, { hint: 'The layout is incomplete: copy it again whole.' }));
  });
  if (ociDigest(data) !== digest) throw new KilnError(diagnostic('oci-blob-corrupt', `${dir}: blob ${digest} does not match its digest.`));
  return data;
}

/** The image of a layout `kiln artifact` wrote (the manifest its index names by version): manifest and config bytes. */
export async function readLayoutImage(dir: string): Promise<{ manifest: Uint8Array; config: Uint8Array }> {
  const index = await readLayoutJson<ImageIndex>(dir, 'index.json', await readFile(join(dir, 'index.json')), imageIndexProblem);
  const named = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] !== undefined) ?? index.manifests[0];
  if (!named) throw new KilnError(diagnostic('oci-layout-empty', `${dir}/index.json names no image.`));
  const manifest = await readLayoutBlob(dir, named.digest);
  const config = await readLayoutBlob(dir, (await readLayoutJson<Manifest>(dir, `the manifest ${named.digest}`, manifest, manifestProblem)).config.digest);
  return { manifest, config };
}

/** A JSON document of the layout in `dir` (its index.json, a manifest), checked by `problem`. */
export async function readLayoutJson<T>(dir: string, what: string, bytes: Uint8Array, problem: (v: unknown) => string | undefined): Promise<T> {
  const r = ociJson<T>(bytes, problem);
  if (!r.ok) throw new KilnError(diagnostic('oci-layout-invalid', `OCI layout ${dir}: ${what} ${r.error}.`));
  return r.value;
}

/**
 * A base image from an OCI layout on disk: `path` or `path:ref` (ref matches the
 * `org.opencontainers.image.ref.name` annotation; without it, the layout must hold one image).
 */
export async function readBaseFromLayout(spec: string, platform: Platform): Promise<{ image: BaseImage; blob: LayoutBlobSource }> {
  const colon = spec.lastIndexOf(':');
  const [dir, ref] = colon > 1 && !spec.slice(colon).includes('/') ? [spec.slice(0, colon), spec.slice(colon + 1)] : [spec, undefined];
  let text: string;
  try {
    text = await readFile(join(dir, 'index.json'), 'utf8');
  } catch (e) {
    throw new KilnError(diagnostic('artifact-base-missing', `base image layout ${dir} has no readable index.json: ${(e as Error).message}`));
  }
  const read = async <T>(what: string, bytes: Uint8Array | string, problem: (v: unknown) => string | undefined): Promise<T> => {
    const r = ociJson<T>(bytes, problem);
    if (!r.ok) throw new KilnError(diagnostic('artifact-base-invalid', `base image layout ${dir}: ${what} ${r.error}.`, { hint: 'A base image layout is an OCI image layout, as skopeo copy oci:DIR writes it.' }));
    return r.value;
  };
  const index = await read<ImageIndex>('index.json', text, imageIndexProblem);
  const named = ref === undefined ? index.manifests : index.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref);
  if (named.length === 0) throw new KilnError(diagnostic('artifact-base-missing', `base image layout ${dir} has no image named "${ref}".`));
  let desc: Descriptor | undefined = named.length === 1 ? named[0] : selectManifest({ schemaVersion: 2, manifests: named }, platform);
  if (desc && (desc.mediaType === MEDIA.index || desc.mediaType === MEDIA.dockerList)) {
    const nested = await read<ImageIndex>(`the index ${desc.digest}`, await readLayoutBlob(dir, desc.digest), imageIndexProblem);
    desc = selectManifest(nested, platform);
  }
  if (!desc) throw new KilnError(diagnostic('artifact-base-platform', `base image layout ${dir} has no image for ${platform.os}/${platform.architecture}.`));
  const manifest = await read<Manifest>(`the manifest ${desc.digest}`, await readLayoutBlob(dir, desc.digest), manifestProblem);
  const config = await read<Record<string, unknown>>(`the config ${manifest.config.digest}`, await readLayoutBlob(dir, manifest.config.digest), imageConfigProblem);
  return { image: { manifest, config }, blob: (digest) => readLayoutBlob(dir, digest) };
}

/**
 * Unpacks an (uncompressed) tar into `target`. Refuses, before writing anything, absolute paths,
 * `..` segments, hard links, and symlinks that point outside `target`; never follows a symlink
 * while writing.
 */
export async function extractTar(tar: Uint8Array, target: string): Promise<string[]> {
  const root = resolve(target);
  const entries = readTar(tar);
  const links = new Set<string>();
  for (const e of entries) {
    const rel = safeRelative(e.path);
    if (rel === undefined) throw unsafe(e.path, 'its path leaves the target directory');
    if (e.type === 'hardlink' || e.type === 'other') throw unsafe(e.path, `entries of this type (${e.type}) are not extracted`);
    const parents = rel.split('/');
    for (let i = 1; i < parents.length; i++) if (links.has(parents.slice(0, i).join('/'))) throw unsafe(e.path, 'it lies below a symlink');
    if (e.type === 'symlink') {
      if (isAbsolute(e.linkTarget) || posix.isAbsolute(e.linkTarget)) throw unsafe(e.path, `its link target "${e.linkTarget}" is absolute`);
      const to = posix.normalize(posix.join(posix.dirname(rel), e.linkTarget));
      if (to === '..' || to.startsWith('../')) throw unsafe(e.path, `its link target "${e.linkTarget}" leaves the target directory`);
      links.add(rel);
    }
  }
  const written: string[] = [];
  await mkdir(root, { recursive: true });
  for (const e of entries) {
    const rel = safeRelative(e.path)!;
    const abs = join(root, ...rel.split('/'));
    if (!abs.startsWith(root + sep)) throw unsafe(e.path, 'its path leaves the target directory');
    await mkdir(dirname(abs), { recursive: true });
    const existing = await lstat(abs).catch(() => undefined);
    if (existing?.isSymbolicLink()) await rm(abs);
    if (e.type === 'directory') await mkdir(abs, { recursive: true, mode: e.mode & 0o777 });
    else if (e.type === 'symlink') await symlink(e.linkTarget, abs);
    else await writeFile(abs, e.data, { mode: e.mode & 0o777 });
    written.push(rel);
  }
  return written;
}

function safeRelative(path: string): string | undefined {
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\')) return undefined;
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) return undefined;
  return parts.join('/');
}

function unsafe(path: string, why: string): KilnError {
  return new KilnError(diagnostic('artifact-unsafe-entry', `refusing to extract "${path}": ${why}.`), 1);
}
