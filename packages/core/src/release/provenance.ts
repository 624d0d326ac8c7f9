/**
 * An artifact's provenance, pure: an in-toto Statement v1 whose predicate is SLSA Provenance v1.
 * Its subject is the image (the manifest digest); it records how kiln built it: the project,
 * version, build target and command (external parameters), the task's input hash (internal
 * parameters), the git commit, lockfile and base image it came from (resolved dependencies), and
 * kiln's version as the builder's. Nothing in it changes between two builds of one commit (no
 * start or finish times, no paths of the checkout). Writing it is attestations.ts's.
 */
import { isoTime } from './oci.js';

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** The media type of an in-toto statement (the artifact type of its OCI referrer). */
export const IN_TOTO_MEDIA_TYPE = 'application/vnd.in-toto+json';
/** What a kiln artifact build is; docs/release.md ("Provenance") describes its parameters. */
export const KILN_BUILD_TYPE = 'https://kiln.dev/provenance/artifact/v1';
/** The builder's id, with kiln's version in it: a different kiln is a different builder. */
export const kilnBuilderId = (version: string) => `https://kiln.dev/builder/kiln-artifact@v${version}`;

export interface ProvenanceInput {
  readonly project: string;
  readonly version: string;
  /** The image manifest's digest, `sha256:<hex>`: the subject. */
  readonly imageDigest: string;
  /** The build target and the commands it runs. */
  readonly target: string;
  readonly commands: readonly string[];
  /** The build task's hash. */
  readonly inputHash: string;
  readonly revision: string;
  /** The source URL (normalised `origin`), when there is one. */
  readonly source?: string;
  /** Seconds since the epoch: the commit time, which is also SOURCE_DATE_EPOCH's upper bound. */
  readonly created: number;
  readonly kilnVersion: string;
  /** The lockfile the external packages were resolved from: its name and SHA-256. */
  readonly lockfile?: { readonly name: string; readonly sha256: string };
  /** The base image, as configured. */
  readonly base?: string;
  /** Files made beside the image: the tarball, the SBOM (name → `sha256:<hex>`). */
  readonly byproducts: readonly { readonly name: string; readonly digest: string; readonly mediaType: string }[];
}

export function provenanceStatement(input: ProvenanceInput): Record<string, unknown> {
  const hex = (digest: string) => digest.replace(/^sha256:/, '');
  const sourceUri = input.source === undefined ? undefined : `git+${input.source}@${input.revision}`;
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: `${input.project}@${input.version}`, digest: { sha256: hex(input.imageDigest) } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: KILN_BUILD_TYPE,
        externalParameters: {
          project: input.project,
          version: input.version,
          target: input.target,
          commands: input.commands,
          ...(input.source !== undefined && { source: input.source }),
          revision: input.revision,
        },
        internalParameters: { inputHash: input.inputHash, commitTime: isoTime(input.created) },
        resolvedDependencies: [
          { name: 'source', ...(sourceUri !== undefined && { uri: sourceUri }), digest: { gitCommit: input.revision } },
          ...(input.lockfile ? [{ name: input.lockfile.name, digest: { sha256: input.lockfile.sha256 } }] : []),
          ...(input.base !== undefined ? [{ name: 'base-image', uri: input.base }] : []),
        ],
      },
      runDetails: {
        builder: { id: kilnBuilderId(input.kilnVersion), version: { kiln: input.kilnVersion } },
        metadata: { invocationId: input.inputHash },
        byproducts: input.byproducts.map((b) => ({ name: b.name, digest: { sha256: hex(b.digest) }, mediaType: b.mediaType })),
      },
    },
  };
}
