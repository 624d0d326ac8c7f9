/**
 * Edge: an artifact's SBOM and provenance attached to its image as OCI referrers (referrers.ts),
 * in the OCI layout on disk (their manifests listed in its index.json beside the image) and in a
 * registry (the manifests pushed by digest; where the registry has no referrers API, the fallback
 * tag `sha256-<hex>` updated to list them). And listing them back from either.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readLayoutBlob, readLayoutJson } from './layout.js';
import { canonicalBytes, imageIndexProblem, manifestProblem, MEDIA, ociJson, type Descriptor, type ImageIndex, type Manifest } from './oci.js';
import { referrersIndex, referrersTag, type Referrer } from './referrers.js';
import { pushArtifact, type RegistryClient } from './registry.js';
import type { Image } from './oci.js';

/** Adds the referrers' blobs to the layout in `dir` and lists their manifests in its index.json, after the image. */
export async function addReferrersToLayout(dir: string, referrers: readonly Referrer[]): Promise<void> {
  for (const r of referrers) for (const b of [r.manifest, ...r.blobs]) await writeFile(join(dir, 'blobs', 'sha256', b.digest.slice('sha256:'.length)), b.data);
  const index = await readLayoutJson<ImageIndex>(dir, 'index.json', await readFile(join(dir, 'index.json')), imageIndexProblem);
  const added = new Set(referrers.map((r) => r.descriptor.digest));
  const manifests = [...index.manifests.filter((m) => !added.has(m.digest)), ...referrers.map((r) => r.descriptor)];
  // Beside, then renamed: a reader never sees half an index.
  await writeFile(join(dir, 'index.json.tmp'), canonicalBytes({ ...index, manifests }));
  await rename(join(dir, 'index.json.tmp'), join(dir, 'index.json'));
}

/** The referrers of `digest` in the layout in `dir`: the manifests its index.json lists whose subject is that image. */
export async function layoutReferrers(dir: string, digest: string): Promise<Descriptor[]> {
  const index = await readLayoutJson<ImageIndex>(dir, 'index.json', await readFile(join(dir, 'index.json')), imageIndexProblem);
  const found: Descriptor[] = [];
  for (const d of index.manifests) {
    if (d.mediaType !== MEDIA.manifest || d.digest === digest) continue;
    const manifest = await readLayoutJson<Manifest>(dir, `the manifest ${d.digest}`, await readLayoutBlob(dir, d.digest), manifestProblem);
    if (manifest.subject?.digest === digest) found.push({ ...d, ...(manifest.artifactType && { artifactType: manifest.artifactType }) });
  }
  return found;
}

/** Pushes an artifact's image (registry.ts's `pushArtifact`), then its referrers; returns `HOST/NAME:VERSION@DIGEST`. */
export async function pushWithReferrers(
  layoutDir: string,
  image: Image,
  destination: string,
  version: string,
  referrers: readonly Referrer[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly progress?: (line: string) => void },
): Promise<string> {
  const subject = image.manifest.digest;
  return pushArtifact(layoutDir, image, destination, version, {
    ...options,
    attach: async (client) => {
      if (referrers.length === 0) return;
      const way = await pushReferrers(client, subject, referrers);
      options.progress?.(`attached ${referrers.length} referrers to ${destination}@${subject} (${way === 'api' ? 'referrers API' : `tag ${referrersTag(subject)}`})`);
    },
  });
}

/**
 * Pushes the referrers of the image `subject` (already pushed): blobs, then each manifest by its
 * digest. A registry with the referrers API says so (`OCI-Subject`); otherwise the fallback tag
 * `sha256-<hex>` is updated to list them, keeping what it listed. Returns which way was used.
 */
export async function pushReferrers(client: RegistryClient, subject: string, referrers: readonly Referrer[]): Promise<'api' | 'tag'> {
  let api = true;
  for (const r of referrers) {
    for (const b of r.blobs) await client.pushBlob(b.digest, b.data);
    const put = await client.putManifest(r.manifest.digest, r.manifest.data, MEDIA.manifest);
    if (put.subject !== subject) api = false;
  }
  if (api) return 'api';
  const tag = referrersTag(subject);
  const existing = (await client.manifestDigest(tag)) === undefined ? [] : parseIndex((await client.getManifest(tag)).data);
  await client.putManifest(
    tag,
    referrersIndex(
      existing,
      referrers.map((r) => r.descriptor),
    ),
    MEDIA.index,
  );
  return 'tag';
}

/** The referrers a registry lists for `digest`: from its referrers API, else from the fallback tag; none when neither has any. */
export async function registryReferrers(client: RegistryClient, digest: string): Promise<Descriptor[]> {
  const fromApi = await client.referrers(digest);
  if (fromApi !== undefined && fromApi.manifests.length > 0) return [...fromApi.manifests];
  const tag = referrersTag(digest);
  if ((await client.manifestDigest(tag)) === undefined) return fromApi ? [...fromApi.manifests] : [];
  return parseIndex((await client.getManifest(tag)).data);
}

/** The referrers a fallback tag lists; none when it holds something else than an image index. */
function parseIndex(data: Uint8Array): Descriptor[] {
  const index = ociJson<ImageIndex>(data, imageIndexProblem);
  return index.ok ? [...index.value.manifests] : [];
}
