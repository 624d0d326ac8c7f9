/**
 * Edge: the documents written beside an artifact's tarball: its SBOM (`NAME-VERSION.cdx.json`,
 * CycloneDX) from the projects' package.json files and the workspace's lockfile. What goes in
 * them is sbom.ts's.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCKFILES, parseLockfile, type Lockfile } from '../lockfile/index.js';
import { blob, canonicalBytes, type Blob } from './oci.js';
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
  readonly created: number;
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
}

/** Writes the SBOM beside the artifact's tarball. */
export async function writeAttestations(input: AttestationInput): Promise<Attestations> {
  const lock = await readLockfile(input.root, input.warn);
  const projects: SbomProject[] = [];
  for (const p of input.projects) projects.push({ name: p.name, version: p.version, root: p.root, dependsOn: p.dependencies, runtimeNames: await runtimeNames(input.root, p.root) });
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
  return { sbom };
}

/** The names a project's package.json needs at run time; none without one. */
async function runtimeNames(root: string, projectRoot: string): Promise<string[]> {
  let pkg: { dependencies?: Record<string, unknown>; optionalDependencies?: Record<string, unknown> };
  try {
    pkg = JSON.parse(await readFile(join(root, projectRoot, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    return [];
  }
  return [...new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})])].sort();
}

/** The workspace's lockfile (the first of npm's, pnpm's and yarn's found at the root), or undefined. */
async function readLockfile(root: string, warn?: (line: string) => void): Promise<Lockfile | undefined> {
  for (const file of LOCKFILES) {
    const text = await readFile(join(root, file), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const parsed = parseLockfile(file, text);
    if (parsed.ok) return parsed.value;
    warn?.(`${parsed.error.message} The SBOM lists no external packages.`);
    return undefined;
  }
  return undefined;
}

let version: Promise<string> | undefined;

/** @kiln/core's version: the builder's, in the SBOM and the provenance. */
export function kilnVersion(): Promise<string> {
  version ??= readFile(new URL('../../package.json', import.meta.url), 'utf8').then((t) => String((JSON.parse(t) as { version?: unknown }).version ?? '0.0.0'));
  return version;
}
