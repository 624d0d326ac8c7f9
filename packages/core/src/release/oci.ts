/**
 * OCI images as data: the layer (a gzipped deterministic tar), the image config, the manifest
 * and the layout's index.json, each serialised canonically (sorted keys, no spaces) so that
 * the same inputs always give the same digests. Writing them to disk or a registry is
 * layout.ts's and registry.ts's job.
 */
import { gzipSync } from 'fflate';
import { canonicalJson, err, ok, sha256, type Result } from '../model/index.js';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  /** The empty JSON object `{}`: the config of an artifact manifest (image-spec 1.1). */
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

export const ANNOTATION = {
  version: 'org.opencontainers.image.version',
  revision: 'org.opencontainers.image.revision',
  source: 'org.opencontainers.image.source',
  created: 'org.opencontainers.image.created',
  title: 'org.opencontainers.image.title',
  refName: 'org.opencontainers.image.ref.name',
  /** kiln's task hash of the build whose outputs the artifact layer holds. */
  inputHash: 'dev.kiln.input-hash',
} as const;

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
  /** Of an artifact manifest (image-spec 1.1), and of its descriptor in a referrers index. */
  readonly artifactType?: string;
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface Manifest {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly artifactType?: string;
  /** The manifest this one refers to (a referrer: an SBOM, a signature, an attestation). */
  readonly subject?: Descriptor;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly manifests: readonly Descriptor[];
}

/** A blob with its bytes and descriptor. */
export interface Blob extends Descriptor {
  readonly data: Uint8Array;
}

/** A base image: its manifest and parsed config; the layer bytes stay where they are. */
export interface BaseImage {
  readonly manifest: Manifest;
  readonly config: Record<string, unknown>;
}

export interface ContainerConfig {
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly workingDir?: string;
  readonly env?: readonly string[];
  readonly user?: string;
  readonly exposedPorts?: readonly string[];
}

export interface ImageInput {
  /** The uncompressed layer tar (from writeTar). */
  readonly layerTar: Uint8Array;
  readonly project: string;
  readonly version: string;
  readonly revision: string;
  /** Seconds since the epoch: the commit time. */
  readonly created: number;
  readonly inputHash: string;
  readonly source?: string;
  readonly base?: BaseImage;
  readonly container?: ContainerConfig;
  /** Used when there is no base image; default linux/amd64. */
  readonly platform?: Platform;
}

export interface Image {
  readonly layer: Blob;
  readonly config: Blob;
  readonly manifest: Blob;
  /** The layout's index.json (one manifest, named by the version). */
  readonly index: Uint8Array;
  /** Base layers the layout and registry must also hold. */
  readonly baseLayers: readonly Descriptor[];
}

/** An OCI digest: `sha256:<hex>`. */
export function ociDigest(data: Uint8Array | string): string {
  return `sha256:${sha256(data)}`;
}

/**
 * gzip that depends on nothing but its input: a pure-JS deflate (fflate, pinned) rather than
 * Node's bundled zlib, whose output differs between Node builds; no name, mtime 0, OS byte 3.
 */
export function gzipDeterministic(data: Uint8Array): Uint8Array {
  const gz = gzipSync(data, { level: 9, mtime: 0 });
  gz[4] = gz[5] = gz[6] = gz[7] = 0;
  gz[9] = 3;
  return gz;
}

/** Canonical JSON as bytes: the bytes digests are taken over. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

export function blob(mediaType: string, data: Uint8Array): Blob {
  return { mediaType, digest: ociDigest(data), size: data.length, data };
}

export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function buildImage(input: ImageInput): Image {
  const layer = blob(MEDIA.layerGzip, gzipDeterministic(input.layerTar));
  const diffId = ociDigest(input.layerTar);
  const created = isoTime(input.created);
  const annotations: Record<string, string> = {
    [ANNOTATION.created]: created,
    [ANNOTATION.inputHash]: input.inputHash,
    [ANNOTATION.revision]: input.revision,
    [ANNOTATION.title]: input.project,
    [ANNOTATION.version]: input.version,
    ...(input.source && { [ANNOTATION.source]: input.source }),
  };

  const baseConfig = input.base?.config ?? {};
  const baseRun = (baseConfig.config ?? {}) as Record<string, unknown>;
  const baseRootfs = (baseConfig.rootfs ?? {}) as { diff_ids?: string[] };
  const c = input.container ?? {};
  const platform = input.base
    ? { os: String(baseConfig.os ?? 'linux'), architecture: String(baseConfig.architecture ?? 'amd64'), ...(typeof baseConfig.variant === 'string' && { variant: baseConfig.variant }) }
    : (input.platform ?? { os: 'linux', architecture: 'amd64' });
  const runConfig: Record<string, unknown> = {
    ...baseRun,
    ...(c.entrypoint && { Entrypoint: c.entrypoint }),
    ...(c.cmd && { Cmd: c.cmd }),
    ...(c.workingDir && { WorkingDir: c.workingDir }),
    ...(c.user && { User: c.user }),
    ...(c.env && { Env: mergeEnv((baseRun.Env as string[] | undefined) ?? [], c.env) }),
    ...(c.exposedPorts && { ExposedPorts: Object.fromEntries(c.exposedPorts.map((p) => [p.includes('/') ? p : `${p}/tcp`, {}])) }),
    Labels: { ...((baseRun.Labels as Record<string, string> | undefined) ?? {}), ...annotations },
  };
  const config = blob(
    MEDIA.config,
    canonicalBytes({
      ...platform,
      created,
      config: runConfig,
      rootfs: { type: 'layers', diff_ids: [...(baseRootfs.diff_ids ?? []), diffId] },
      history: [
        ...((baseConfig.history as unknown[] | undefined) ?? []),
        { created, created_by: `kiln artifact ${input.project}@${input.version}`, comment: `inputs ${input.inputHash}` },
      ],
    }),
  );
  const baseLayers = (input.base?.manifest.layers ?? []).map((l) => ({ ...l, mediaType: ociLayerType(l.mediaType) }));
  const manifest = blob(
    MEDIA.manifest,
    canonicalBytes({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: descriptor(config),
      layers: [...baseLayers, descriptor(layer)],
      annotations,
    }),
  );
  const index = canonicalBytes({
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [{ ...descriptor(manifest), platform, annotations: { [ANNOTATION.refName]: input.version } }],
  });
  return { layer, config, manifest, index, baseLayers };
}

export function descriptor(b: Descriptor): Descriptor {
  return { mediaType: b.mediaType, digest: b.digest, size: b.size, ...(b.artifactType && { artifactType: b.artifactType }), ...(b.annotations && { annotations: b.annotations }) };
}

/** Docker schema 2 layer types name the same bytes as OCI's; the manifest we write is OCI. */
export function ociLayerType(mediaType: string): string {
  switch (mediaType) {
    case 'application/vnd.docker.image.rootfs.diff.tar.gzip':
      return MEDIA.layerGzip;
    case 'application/vnd.docker.image.rootfs.diff.tar':
      return MEDIA.layerTar;
    case 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip':
      return 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';
    default:
      return mediaType;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringList = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** What is wrong with `v` as a descriptor (`at` names it), or undefined; `mediaType` is optional only where `typed` is false. */
function descriptorProblem(v: unknown, at: string, typed: boolean): string | undefined {
  if (!isObject(v)) return `${at} is not a descriptor (an object with "mediaType", "digest" and "size")`;
  if (typeof v.digest !== 'string' || !/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(v.digest)) return `${at}.digest is not a digest`;
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) return `${at}.size is not a size in bytes`;
  if (typed ? typeof v.mediaType !== 'string' : v.mediaType !== undefined && typeof v.mediaType !== 'string') return `${at}.mediaType is not a media type`;
  if (v.platform !== undefined && !(isObject(v.platform) && typeof v.platform.os === 'string' && typeof v.platform.architecture === 'string')) return `${at}.platform has no "os" and "architecture"`;
  return undefined;
}

/** What is wrong with `v` as an image index (or Docker manifest list), or undefined. */
export function imageIndexProblem(v: unknown): string | undefined {
  if (!isObject(v) || !Array.isArray(v.manifests)) return 'is not an image index (an object with a "manifests" list)';
  return v.manifests.map((d, i) => descriptorProblem(d, `manifests[${i}]`, false)).find((p) => p !== undefined);
}

/** What is wrong with `v` as an image manifest, or undefined. */
export function manifestProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'is not an image manifest (an object with "config" and "layers")';
  if (!Array.isArray(v.layers)) return '"layers" is not a list';
  return descriptorProblem(v.config, 'config', true) ?? v.layers.map((d, i) => descriptorProblem(d, `layers[${i}]`, true)).find((p) => p !== undefined);
}

/** What is wrong with `v` as an image config, as far as an image stacked on it reads it, or undefined. */
export function imageConfigProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'is not an image config (an object)';
  if (v.config !== undefined && !isObject(v.config)) return '"config" is not an object';
  const run = (v.config ?? {}) as Record<string, unknown>;
  if (run.Env !== undefined && !isStringList(run.Env)) return '"config.Env" is not a list of strings';
  if (run.Labels !== undefined && !isObject(run.Labels)) return '"config.Labels" is not an object';
  if (v.rootfs !== undefined && !(isObject(v.rootfs) && (v.rootfs.diff_ids === undefined || isStringList(v.rootfs.diff_ids)))) return '"rootfs.diff_ids" is not a list of digests';
  if (v.history !== undefined && !Array.isArray(v.history)) return '"history" is not a list';
  return undefined;
}

/**
 * An OCI JSON document (index, manifest or config) from its bytes, checked by `problem`: what kiln
 * reads from a layout or a registry is a stranger's file, and the wrong shape must be a message, not a crash.
 */
export function ociJson<T>(bytes: Uint8Array | string, problem: (v: unknown) => string | undefined): Result<T, string> {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
  } catch {
    return err('is not JSON');
  }
  const wrong = problem(value);
  return wrong === undefined ? ok(value as T) : err(wrong);
}

/** From an image index (or Docker manifest list), the manifest for `platform`, else undefined. */
export function selectManifest(index: ImageIndex, platform: Platform): Descriptor | undefined {
  const images = index.manifests.filter((m) => m.mediaType === MEDIA.manifest || m.mediaType === MEDIA.dockerManifest || m.mediaType === undefined);
  return (
    images.find((m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture && (!platform.variant || m.platform.variant === platform.variant)) ??
    (images.length === 1 && !images[0]!.platform ? images[0] : undefined)
  );
}

function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const byName = new Map<string, string>();
  for (const e of [...base, ...extra]) byName.set(e.split('=', 1)[0]!, e);
  return [...byName.values()];
}
