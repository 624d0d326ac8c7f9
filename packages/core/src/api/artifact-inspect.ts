/**
 * `kiln artifact inspect PROJECT@VERSION`: the image's digest and what is attached to it (its
 * OCI referrers: the SBOM and the provenance), read from the artifact's layout when it was built
 * here, or from a registry (release/attach.ts).
 */
import { join } from 'node:path';
import { diagnostic, KilnError } from '../model/index.js';
import {
  layoutReferrers,
  parseImageReference,
  parseProjectVersion,
  projectRepository,
  readArtifactIndex,
  registryClient,
  registryReferrers,
  type Descriptor,
} from '../release/index.js';
import { loadReleaseContext, releaseConfig, requireProjects } from './release-load.js';

export interface InspectedReferrer {
  readonly artifactType: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface InspectResult {
  readonly project: string;
  readonly version: string;
  /** The image manifest's digest. */
  readonly digest: string;
  /** Where it was read: the layout (repo-relative) or the registry repository `HOST/NAME`. */
  readonly location: string;
  readonly referrers: readonly InspectedReferrer[];
}

export interface InspectOptions {
  readonly cwd: string;
  readonly spec: string;
  /** Read the registry: `HOST/NAME` (may hold `{projectName}`), or `true` for where it was pushed, else nx.json `kiln.registry`. */
  readonly registry?: string | true;
  readonly env?: NodeJS.ProcessEnv;
}

export async function inspectArtifact(options: InspectOptions): Promise<InspectResult> {
  const parsed = parseProjectVersion(options.spec);
  if (!parsed) throw new KilnError(diagnostic('usage', `"${options.spec}" is not PROJECT@VERSION.`, { hint: 'e.g. kiln artifact inspect catalog@1.4.0' }));
  const ctx = await loadReleaseContext(options.cwd);
  const config = releaseConfig(ctx);
  const { project, version } = parsed;
  requireProjects(ctx, [project]);
  const record = (await readArtifactIndex(ctx, config.artifacts.outputDir)).find((a) => a.project === project && a.version === version);
  if (record && options.registry === undefined) {
    const referrers = await layoutReferrers(join(ctx.root, record.path), record.digest);
    return { project, version, digest: record.digest, location: record.path, referrers: referrers.map(summary) };
  }
  const pushedTo = record?.pushed?.map(parseImageReference).find((r) => r !== undefined);
  const destination =
    typeof options.registry === 'string'
      ? projectRepository(options.registry, project)
      : pushedTo
        ? `${pushedTo.registry}/${pushedTo.repository}`
        : config.registry && projectRepository(config.registry, project);
  if (!destination)
    throw new KilnError(
      diagnostic('artifact-not-found', `${project}@${version} was not built here, and there is no registry to look in.`, {
        hint: 'Pass --registry HOST/NAME, or set "kiln.registry" in nx.json.',
      }),
      1,
    );
  const ref = parseImageReference(destination);
  if (!ref || ref.tag || ref.digest) throw new KilnError(diagnostic('artifact-bad-registry', `"${destination}" is not HOST/NAME (the tag is the version).`));
  const client = await registryClient(ref, options.env);
  const digest = await client.manifestDigest(version);
  if (digest === undefined) throw new KilnError(diagnostic('artifact-not-found', `${destination} has no tag ${version}: ${project}@${version} was not pushed there.`), 1);
  return { project, version, digest, location: destination, referrers: (await registryReferrers(client, digest)).map(summary) };
}

function summary(d: Descriptor): InspectedReferrer {
  return { artifactType: d.artifactType ?? '', digest: d.digest, mediaType: d.mediaType, size: d.size, ...(d.annotations && { annotations: d.annotations }) };
}
