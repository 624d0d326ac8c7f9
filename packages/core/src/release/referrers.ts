/**
 * OCI referrers as data (image-spec and distribution-spec 1.1): an artifact manifest that
 * attaches a document (an SBOM, a provenance statement) to an image through its `subject`, and the
 * referrers index that lists an image's referrers (what the referrers API answers, and what the
 * fallback tag `sha256-<hex>` holds on a registry without that API). Pushing them and writing them
 * into a layout is attach.ts's.
 */
import { ANNOTATION, blob, canonicalBytes, descriptor, MEDIA, type Blob, type Descriptor, type ImageIndex } from './oci.js';

/** The empty config every artifact manifest points at: `{}`. */
export const EMPTY_CONFIG: Blob = blob(MEDIA.empty, new TextEncoder().encode('{}'));

/** A document attached to an image: its blob, and what kind of artifact it is. */
export interface Attachment {
  readonly artifactType: string;
  readonly document: Blob;
  /** Annotations of the artifact manifest (besides the creation time). */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A referrer: the artifact manifest, with the blobs it needs. */
export interface Referrer {
  readonly manifest: Blob;
  /** Its descriptor in a referrers index: with its artifact type and annotations. */
  readonly descriptor: Descriptor;
  /** The empty config and the document. */
  readonly blobs: readonly Blob[];
}

/** The artifact manifest attaching `attachment` to the image whose manifest is `subject`, dated `created` (seconds). */
export function referrerFor(subject: Descriptor, attachment: Attachment, created: string): Referrer {
  const annotations = { [ANNOTATION.created]: created, ...attachment.annotations };
  const manifest = blob(
    MEDIA.manifest,
    canonicalBytes({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      artifactType: attachment.artifactType,
      config: descriptor(EMPTY_CONFIG),
      layers: [descriptor(attachment.document)],
      subject: descriptor(subject),
      annotations,
    }),
  );
  return { manifest, descriptor: { ...descriptor(manifest), artifactType: attachment.artifactType, annotations }, blobs: [EMPTY_CONFIG, attachment.document] };
}

/** The fallback tag that lists an image's referrers where the registry has no referrers API. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

/** A referrers index: `existing` (what the tag held) with `added`, one entry per digest, in digest order. */
export function referrersIndex(existing: readonly Descriptor[], added: readonly Descriptor[]): Uint8Array {
  const byDigest = new Map<string, Descriptor>();
  for (const d of [...existing, ...added]) byDigest.set(d.digest, d);
  const manifests = [...byDigest.values()].sort((a, b) => (a.digest < b.digest ? -1 : 1));
  return canonicalBytes({ schemaVersion: 2, mediaType: MEDIA.index, manifests });
}

/** The referrers an index lists (a referrers API answer or a fallback tag), as `{artifactType, digest}` and the rest of their descriptors. */
export function listedReferrers(index: ImageIndex): Descriptor[] {
  return [...index.manifests].sort((a, b) => ((a.artifactType ?? '') + a.digest < (b.artifactType ?? '') + b.digest ? -1 : 1));
}
