/**
 * Edge: the documents written beside an artifact's tarball: its SBOM (`NAME-VERSION.cdx.json`,
 * CycloneDX) from the projects' package.json files and the workspace's lockfile, and its
 * provenance (`NAME-VERSION.provenance.json`, an in-toto statement) with the build command as
 * the task runner would run it. What goes in them is sbom.ts's and provenance.ts's.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCKFILES, parseLockfile, type Lockfile } from '../lockfile/index.js';
import { sha256 } from '../model/index.js';
import { taskCommand } from '../tasks/index.js';
import { parseJson } from '../workspace/index.js';
import { addReferrersToLayout } from './attach.js';
import type { ArtifactSettings } from './config.js';
import type { ReleaseContext, ReleaseProjectInfo } from './context.js';
import { blob, canonicalBytes, descriptor, isoTime, MEDIA, type Blob, type Descriptor, type Image } from './oci.js';
import { referrerFor, type Referrer } from './referrers.js';
import { IN_TOTO_MEDIA_TYPE, provenanceStatement, SLSA_PROVENANCE_V1 } from './provenance.js';
import { cycloneDx, CYCLONEDX_MEDIA_TYPE, runtimePackages, type SbomProject } from './sbom.js';

/** A workspace project the artifact holds, with its version (the service first). */
export interface ArtifactProject {
  readonly name: string;
  readonly root: string;
  readonly version: string;
  /** Its direct workspace dependencies. */
  readonly dependencies: readonly string[];
}

export interface AttestationInput {
  /** Absolute workspace root. */
  readonly root: string;
  /** The artifact's repo-relative path stem (`<outputDir>/NAME-VERSION`). */
  readonly stem: string;
  readonly project: string;
  readonly version: string;
  readonly imageDigest: string;
  /** The layer's digest: the tarball's SHA-256. */
  readonly layerDigest: string;
  readonly created: number;
  readonly revision: string;
  readonly inputHash: string;
  readonly source?: string;
  readonly base?: string;
  /** The build target, as the workspace configures it. */
  readonly build: { readonly projectRoot: string; readonly target: string; readonly executor?: string; readonly options?: Readonly<Record<string, unknown>> };
  /** The service, then every workspace project it depends on, directly or not. */
  readonly projects: readonly ArtifactProject[];
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
  readonly warn?: (line: string) => void;
}

/** A document written beside the artifact: its bytes (a blob with its media type) and repo-relative path. */
export interface Attestation extends Blob {
  readonly path: string;
}

export interface Attestations {
  readonly sbom: Attestation;
  readonly provenance: Attestation;
}

/** Writes the SBOM and the provenance beside the artifact's tarball. */
export async function writeAttestations(input: AttestationInput): Promise<Attestations> {
  const found = await readLockfile(input.root, input.warn);
  const lock = found?.lock;
  const projects: SbomProject[] = [];
  for (const p of input.projects)
    projects.push({ name: p.name, version: p.version, root: p.root, dependsOn: p.dependencies, runtimeNames: await runtimeNames(input.root, p.root) });
  const sbom = {
    ...blob(
      CYCLONEDX_MEDIA_TYPE,
      canonicalBytes(
        cycloneDx({
          project: input.project,
          version: input.version,
          imageDigest: input.imageDigest,
          created: input.created,
          kilnVersion: await kilnVersion(),
          projects,
          packages: runtimePackages(lock, projects),
          files: input.files,
        }),
      ),
    ),
    path: `${input.stem}.cdx.json`,
  };
  await writeFile(join(input.root, sbom.path), sbom.data);

  const statement = provenanceStatement({
    project: input.project,
    version: input.version,
    imageDigest: input.imageDigest,
    target: input.build.target,
    commands: await buildCommands(input.root, input.project, input.build),
    inputHash: input.inputHash,
    revision: input.revision,
    created: input.created,
    kilnVersion: await kilnVersion(),
    ...(input.source !== undefined && { source: input.source }),
    ...(input.base !== undefined && { base: input.base }),
    ...(found && { lockfile: { name: found.file, sha256: found.sha256 } }),
    byproducts: [
      { name: `${input.stem}.tar.gz`, digest: input.layerDigest, mediaType: MEDIA.layerGzip },
      { name: sbom.path, digest: sbom.digest, mediaType: CYCLONEDX_MEDIA_TYPE },
    ],
  });
  const provenance = { ...blob(IN_TOTO_MEDIA_TYPE, canonicalBytes(statement)), path: `${input.stem}.provenance.json` };
  await writeFile(join(input.root, provenance.path), provenance.data);
  return { sbom, provenance };
}

/** The commands the build target runs, as the task runner builds them (tasks/exec.ts); none when kiln cannot run it. */
async function buildCommands(root: string, project: string, build: AttestationInput['build']): Promise<string[]> {
  const config = { ...(build.executor && { executor: build.executor }), ...(build.options && { options: build.options }) };
  const cmd = await taskCommand(root, { project: { name: project, root: build.projectRoot }, target: build.target, config });
  return 'commands' in cmd ? [...cmd.commands] : [];
}

/**
 * An artifact's SBOM and provenance, written beside its tarball and attached to the image in its
 * layout (attach.ts); returns them with the referrers, for a push. `versions` holds the version
 * of the project and of every workspace project it depends on.
 */
export async function attestArtifact(
  ctx: ReleaseContext,
  project: ReleaseProjectInfo,
  a: {
    settings: ArtifactSettings;
    stem: string;
    version: string;
    image: Image;
    files: AttestationInput['files'];
    created: number;
    revision: string;
    inputHash: string;
    versions: Readonly<Record<string, string>>;
    source?: string;
    warn?: (line: string) => void;
  },
): Promise<Attestations & { referrers: Referrer[] }> {
  const { settings } = a;
  const target = project.targets[settings.target] ?? {};
  const inArtifact = [project, ...ctx.projects.filter((p) => p.name !== project.name && p.name in a.versions)].map((p) => ({ ...p, version: a.versions[p.name]! }));
  const attestations = await writeAttestations({
    ...{ root: ctx.root, stem: a.stem, project: project.name, version: a.version, created: a.created, revision: a.revision, inputHash: a.inputHash, files: a.files },
    imageDigest: a.image.manifest.digest,
    layerDigest: a.image.layer.digest,
    projects: inArtifact,
    build: { projectRoot: project.root, target: settings.target, ...(target.executor && { executor: target.executor }), ...(target.options && { options: target.options }) },
    ...(a.source && { source: a.source }),
    ...(settings.base && { base: settings.base }),
    ...(a.warn && { warn: a.warn }),
  });
  const referrers = attestationReferrers(descriptor(a.image.manifest), attestations, a.created);
  await addReferrersToLayout(join(ctx.root, a.stem), referrers);
  return { ...attestations, referrers };
}

/** The referrers that attach an artifact's SBOM and provenance to its image (dated with the commit time). */
export function attestationReferrers(image: Descriptor, attestations: Attestations, created: number): Referrer[] {
  const at = isoTime(created);
  return [
    referrerFor(image, { artifactType: CYCLONEDX_MEDIA_TYPE, document: attestations.sbom }, at),
    referrerFor(image, { artifactType: IN_TOTO_MEDIA_TYPE, document: attestations.provenance, annotations: { 'in-toto.io/predicate-type': SLSA_PROVENANCE_V1 } }, at),
  ];
}

/** The names a project's package.json needs at run time; none without one (or when it cannot be read). */
async function runtimeNames(root: string, projectRoot: string): Promise<string[]> {
  const file = join(projectRoot, 'package.json');
  const text = await readFile(join(root, file), 'utf8').catch(() => undefined);
  const parsed = text === undefined ? undefined : parseJson(text, file);
  const pkg = parsed?.ok ? (parsed.value.value as { dependencies?: unknown; optionalDependencies?: unknown } | null) : undefined;
  const names = (group: unknown) => (group !== null && typeof group === 'object' ? Object.keys(group) : []);
  return [...new Set([...names(pkg?.dependencies), ...names(pkg?.optionalDependencies)])].sort();
}

/** The workspace's lockfile (the first of npm's, pnpm's and yarn's found at the root), parsed when kiln can read it. */
async function readLockfile(root: string, warn?: (line: string) => void): Promise<{ file: string; sha256: string; lock?: Lockfile } | undefined> {
  for (const file of LOCKFILES) {
    const text = await readFile(join(root, file), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const parsed = parseLockfile(file, text);
    if (!parsed.ok) warn?.(`${parsed.error.message} The SBOM lists no external packages.`);
    return { file, sha256: sha256(text), ...(parsed.ok && { lock: parsed.value }) };
  }
  return undefined;
}

let version: Promise<string> | undefined;

/** @kiln/core's version: the builder's, in the SBOM and the provenance. */
export function kilnVersion(): Promise<string> {
  version ??= readFile(new URL('../../package.json', import.meta.url), 'utf8').then((t) => String((JSON.parse(t) as { version?: unknown }).version ?? '0.0.0'));
  return version;
}
