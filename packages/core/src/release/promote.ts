/**
 * Promotion, pure: given the artifact index, the environment files and the configured order of
 * environments, the entry to record (or why not). Promotion never builds: it only moves a
 * digest that `kiln artifact` already produced.
 */
import { diagnostic, didYouMean, err, ok, type Diagnostic, type Result } from '../model/index.js';

/** One built artifact, as `dist/artifacts/artifacts.json` lists it. */
export interface ArtifactRecord {
  readonly project: string;
  readonly version: string;
  /** The image manifest's digest: what registries, promotion and deployers name. */
  readonly digest: string;
  readonly revision: string;
  readonly inputHash: string;
  /** The OCI layout, repository-relative. */
  readonly path: string;
  /** The gzipped layer tarball, repository-relative. */
  readonly tarball: string;
  readonly layerDigest: string;
  /** Versions of the workspace packages the artifact contains (the project and its dependencies). */
  readonly packages: Readonly<Record<string, string>>;
  /** Where it was pushed, e.g. `registry.example.com/shop/catalog:1.2.0`. */
  readonly pushed?: readonly string[];
  /** Its SBOM (CycloneDX JSON) beside the tarball, repository-relative. */
  readonly sbom?: string;
  /** Its provenance (an in-toto statement) beside the tarball, repository-relative. */
  readonly provenance?: string;
}

/** `environments/ENV.json`: the desired state, one entry per service. */
export type EnvironmentFile = Readonly<Record<string, { readonly version: string; readonly digest: string }>>;

export interface PromotionRequest {
  readonly project: string;
  readonly version: string;
  readonly environment: string;
  /** What was built: the local index, plus what the registry holds. */
  readonly artifacts: readonly Pick<ArtifactRecord, 'project' | 'version' | 'digest'>[];
  /** The registry repository that was asked for the version as well (nx.json kiln.registry), for the message. */
  readonly registry?: string;
  /** nx.json `kiln.environments`: each environment after the first requires the digest in the one before. Empty: no order. */
  readonly order: readonly string[];
  /** The current content of each environment file that exists. */
  readonly environments: Readonly<Record<string, EnvironmentFile>>;
}

export interface Promotion {
  readonly project: string;
  readonly version: string;
  readonly digest: string;
  readonly environment: string;
  /** The environment file with the entry set, keys sorted. */
  readonly file: EnvironmentFile;
}

/** Parses `PROJECT@VERSION` (the project may be scoped: `@scope/name@1.2.3`). */
export function parseProjectVersion(text: string): { project: string; version: string } | undefined {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return undefined;
  return { project: text.slice(0, at), version: text.slice(at + 1) };
}

/** Why `environment` cannot name an environment file, or undefined when it can. */
export function environmentNameProblem(environment: string): Diagnostic | undefined {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(environment)) return undefined;
  return diagnostic('promote-bad-environment', `"${environment}" is not an environment name.`, { hint: 'Use letters, digits, ".", "_" or "-".' });
}

export function planPromotion(req: PromotionRequest): Result<Promotion, Diagnostic> {
  const { project, version, environment } = req;
  const badName = environmentNameProblem(environment);
  if (badName) return err(badName);
  if (req.order.length > 0 && !req.order.includes(environment))
    return err(
      diagnostic('promote-unknown-environment', `environment "${environment}" is not in nx.json kiln.environments (${req.order.join(', ')}).${didYouMean(environment, req.order)}`),
    );
  const built = req.artifacts.find((a) => a.project === project && a.version === version);
  if (!built) {
    const versions = req.artifacts.filter((a) => a.project === project).map((a) => a.version);
    return err(
      diagnostic('promote-never-built', `${project}@${version} was never built${req.registry ? ` (${req.registry} has no tag ${version} either)` : ''}, so there is nothing to promote.`, {
        hint: versions.length
          ? `Built versions of ${project}: ${versions.join(', ')}. Run \`kiln artifact -p ${project}\` at the release commit to build ${version}.`
          : `No artifact of ${project} is recorded. Run \`kiln artifact -p ${project}\` first.`,
      }),
    );
  }
  const position = req.order.indexOf(environment);
  if (position > 0) {
    const previous = req.order[position - 1]!;
    const there = req.environments[previous]?.[project];
    if (!there || there.digest !== built.digest)
      return err(
        diagnostic(
          'promote-not-in-previous',
          `${project}@${version} (${built.digest}) is not in "${previous}", which must come before "${environment}"${there ? ` (it holds ${there.version}, ${there.digest})` : ''}.`,
          { hint: `Promote it to ${previous} first: kiln promote ${project}@${version} --to ${previous}` },
        ),
      );
  }
  const current = req.environments[environment] ?? {};
  const file: Record<string, { version: string; digest: string }> = {};
  for (const name of [...new Set([...Object.keys(current), project])].sort())
    file[name] = name === project ? { version, digest: built.digest } : current[name]!;
  return ok({ project, version, digest: built.digest, environment, file });
}
