/**
 * `kiln promote PROJECT@VERSION --to ENV`: record an artifact that `kiln artifact` built in
 * `environments/ENV.json` (the desired state a GitOps agent deploys). Never builds; refuses
 * versions that were never built, artifacts whose recorded digest the registry no longer serves
 * under their version (release/served.ts) and, with nx.json `kiln.environments`, digests that have
 * not passed through the environment before. The decision is release/promote.ts's; the files are
 * release/records.ts's.
 */
import { diagnostic, KilnError } from '../model/index.js';
import {
  environmentNameProblem,
  parseProjectVersion,
  planPromotion,
  projectRepository,
  readArtifactIndex,
  readEnvironment,
  servedMismatch,
  taggedDigest,
  writeEnvironment,
  type ArtifactRecord,
  type EnvironmentFile,
  type ReleaseContext,
} from '../release/index.js';
import { loadReleaseContext, releaseConfig, requireProjects } from './release-load.js';

export interface PromoteResult {
  readonly project: string;
  readonly version: string;
  readonly digest: string;
  readonly environment: string;
  /** The environment file written, repo-relative. */
  readonly file: string;
}

export async function promoteIn(ctx: ReleaseContext, spec: string, environment: string, env: NodeJS.ProcessEnv = process.env): Promise<PromoteResult> {
  const parsed = parseProjectVersion(spec);
  if (!parsed) throw new KilnError(diagnostic('promote-bad-argument', `"${spec}" is not PROJECT@VERSION.`, { hint: 'e.g. kiln promote catalog@1.4.0 --to staging' }));
  const badName = environmentNameProblem(environment); // before its file is read
  if (badName) throw new KilnError(badName);
  const config = releaseConfig(ctx);
  requireProjects(ctx, [parsed.project]);
  const recorded = await readArtifactIndex(ctx, config.artifacts.outputDir);
  const artifacts: Pick<ArtifactRecord, 'project' | 'version' | 'digest'>[] = [...recorded];
  const built = recorded.find((a) => a.project === parsed.project && a.version === parsed.version);
  const mismatch = built && (await servedMismatch(built, config.registry, env));
  if (mismatch) throw new KilnError(mismatch, 1);
  // Built elsewhere (another CI job, another machine)? The registry in nx.json kiln.registry knows.
  // A registry that cannot answer is an error of its own (taggedDigest throws it), never "not built".
  let registry: string | undefined;
  if (!artifacts.some((a) => a.project === parsed.project && a.version === parsed.version) && config.registry) {
    registry = projectRepository(config.registry, parsed.project);
    const pushed = await taggedDigest(registry, parsed.version, env);
    if (pushed) artifacts.push({ ...parsed, digest: pushed });
  }
  const environments: Record<string, EnvironmentFile> = {};
  for (const name of new Set([...config.environments, environment])) {
    const file = await readEnvironment(ctx.root, name);
    if (file) environments[name] = file;
  }
  const plan = planPromotion({ ...parsed, environment, artifacts, order: config.environments, environments, ...(registry && { registry }) });
  if (!plan.ok) throw new KilnError(plan.error, plan.error.code === 'promote-never-built' || plan.error.code === 'promote-not-in-previous' ? 1 : 2);
  const file = await writeEnvironment(ctx.root, environment, plan.value.file);
  const { project, version, digest } = plan.value;
  return { project, version, digest, environment, file };
}

/** `kiln promote SPEC --to ENVIRONMENT` for the workspace containing `cwd`. */
export async function promote(options: { readonly cwd: string; readonly spec: string; readonly environment: string; readonly env?: NodeJS.ProcessEnv }): Promise<PromoteResult> {
  return promoteIn(await loadReleaseContext(options.cwd), options.spec, options.environment, options.env);
}
