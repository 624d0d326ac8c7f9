/**
 * `kiln promote PROJECT@VERSION --to ENV`: record an artifact that `kiln artifact` built in
 * `environments/ENV.json` (the desired state a GitOps agent deploys). Never builds; refuses
 * versions that were never built and, with nx.json `kiln.environments`, digests that have not
 * passed through the environment before.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { diagnostic, KilnError } from '../model/index.js';
import { findCredentials, parseImageReference, parseProjectVersion, planPromotion, RegistryClient, type ArtifactRecord, type EnvironmentFile, type ReleaseContext } from '../release/index.js';
import { readArtifactIndex, repositoryName } from './artifact.js';
import { loadReleaseContext, releaseConfig, requireProjects } from './release-load.js';

export const ENVIRONMENTS_DIR = 'environments';

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
  const config = releaseConfig(ctx);
  requireProjects(ctx, [parsed.project]);
  const artifacts: Pick<ArtifactRecord, 'project' | 'version' | 'digest'>[] = await readArtifactIndex(ctx, config.artifacts.outputDir);
  // Built elsewhere (another CI job, another machine)? The registry in nx.json kiln.registry knows.
  if (!artifacts.some((a) => a.project === parsed.project && a.version === parsed.version) && config.registry) {
    const pushed = await registryDigest(config.registry, parsed.project, parsed.version, env);
    if (pushed) artifacts.push({ ...parsed, digest: pushed });
  }
  const environments: Record<string, EnvironmentFile> = {};
  for (const env of new Set([...config.environments, environment])) {
    const file = await readEnvironment(ctx, env);
    if (file) environments[env] = file;
  }
  const plan = planPromotion({ ...parsed, environment, artifacts, order: config.environments, environments });
  if (!plan.ok) throw new KilnError(plan.error, plan.error.code === 'promote-never-built' || plan.error.code === 'promote-not-in-previous' ? 1 : 2);
  const file = `${ENVIRONMENTS_DIR}/${environment}.json`;
  await mkdir(join(ctx.root, ENVIRONMENTS_DIR), { recursive: true });
  await writeFile(join(ctx.root, file), `${JSON.stringify(plan.value.file, null, 2)}\n`);
  const { project, version, digest } = plan.value;
  return { project, version, digest, environment, file };
}

/** The digest `registry` (`HOST/NAME`, NAME may hold {projectName}) holds under the version's tag, if any. */
async function registryDigest(registry: string, project: string, version: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const ref = parseImageReference(registry.replace(/\{projectName\}/g, repositoryName(project)));
  if (!ref) return undefined;
  const client = new RegistryClient(ref, await findCredentials(ref.registry, env), { insecure: env.KILN_REGISTRY_INSECURE === '1' });
  return client.manifestDigest(version);
}

async function readEnvironment(ctx: ReleaseContext, env: string): Promise<EnvironmentFile | undefined> {
  const file = `${ENVIRONMENTS_DIR}/${env}.json`;
  let text: string;
  try {
    text = await readFile(join(ctx.root, file), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as EnvironmentFile;
  } catch {
    throw new KilnError(diagnostic('environment-invalid', `${file} is not valid JSON.`, { location: { file } }));
  }
}

/** `kiln promote SPEC --to ENVIRONMENT` for the workspace containing `cwd`. */
export async function promote(options: { readonly cwd: string; readonly spec: string; readonly environment: string; readonly env?: NodeJS.ProcessEnv }): Promise<PromoteResult> {
  return promoteIn(await loadReleaseContext(options.cwd), options.spec, options.environment, options.env);
}
