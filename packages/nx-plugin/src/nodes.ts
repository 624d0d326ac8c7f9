/**
 * The targets @kiln/nx-plugin adds, as Nx's `createNodesV2`. Which projects are services is
 * kiln's rule, the one `kiln artifact` uses (nx.json `kiln.artifacts.projects`, else the release
 * projects that are applications), applied to the workspace as kiln reads it.
 */
import { createNodesFromFiles, type CreateNodesResult, type CreateNodesV2, type TargetConfiguration } from '@nx/devkit';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadWorkspaceApi, releaseModule } from './kiln';

export interface KilnPluginOptions {
  /** Default `owners-check`, on the workspace's root project. */
  readonly ownersCheckTargetName?: string;
  /** Default `artifact`, on each service. */
  readonly artifactTargetName?: string;
  /** Default `promote`, on each service. */
  readonly promoteTargetName?: string;
}

/** Set while this plugin asks kiln for the workspace: a kiln that runs nx.json plugins itself must not come back here. */
const REENTRY = 'KILN_NX_PLUGIN_LOADING';

export const createNodesV2: CreateNodesV2<KilnPluginOptions> = [
  '**/{project,package}.json',
  async (configFiles, options, context) => {
    const services = await serviceConfigFiles(context.workspaceRoot);
    return createNodesFromFiles((file, opts) => nodesFor(file, opts ?? {}, services, context.workspaceRoot), configFiles, options, context);
  },
];

function nodesFor(file: string, options: KilnPluginOptions, services: ReadonlySet<string>, workspaceRoot: string): CreateNodesResult {
  const root = dirname(file);
  const targets: Record<string, TargetConfiguration> = {};
  if (root === '.' && isRootProject(file, workspaceRoot))
    targets[options.ownersCheckTargetName ?? 'owners-check'] = {
      executor: '@kiln/nx-plugin:owners-check',
      // It reads git and who approved: nothing a cache key could hold.
      cache: false,
      metadata: { description: 'CODEOWNERS lint and the code owner approvals the change still needs (kiln owners lint, kiln owners check).' },
    };
  if (services.has(file)) {
    targets[options.artifactTargetName ?? 'artifact'] = {
      executor: '@kiln/nx-plugin:artifact',
      // kiln builds through its own cache; the pack is recorded in dist/artifacts/artifacts.json.
      cache: false,
      metadata: { description: "Build through kiln's cache and pack the reproducible OCI artifact (kiln artifact)." },
    };
    targets[options.promoteTargetName ?? 'promote'] = {
      executor: '@kiln/nx-plugin:promote',
      cache: false,
      metadata: { description: "Record a built artifact's digest in environments/ENV.json (kiln promote). Options: to, artifactVersion." },
    };
  }
  return Object.keys(targets).length === 0 ? {} : { projects: { [root]: { targets } } };
}

/**
 * The root folder is a project to Nx when it has a project.json, or a package.json with an `nx`
 * field. Without one there is no root project to hold owners-check (and naming one here would
 * rename a root project another plugin makes).
 */
function isRootProject(file: string, workspaceRoot: string): boolean {
  if (file === 'project.json') return true;
  try {
    return typeof (JSON.parse(readFileSync(join(workspaceRoot, file), 'utf8')) as { nx?: unknown }).nx === 'object';
  } catch {
    return false;
  }
}

/** The config files (project.json, package.json) of the projects `kiln artifact` packs. */
async function serviceConfigFiles(workspaceRoot: string): Promise<Set<string>> {
  if (process.env[REENTRY]) return new Set();
  process.env[REENTRY] = '1';
  try {
    const [{ loadWorkspace }, { resolveReleaseConfig }] = await Promise.all([loadWorkspaceApi(), releaseModule()]);
    const ws = await loadWorkspace(workspaceRoot);
    const projects = [...ws.projects.values()];
    const { config, errors } = resolveReleaseConfig(ws.nxJson as unknown as Record<string, unknown>, projects);
    // A release setting kiln rejects is kiln artifact's error to report; here it only means no services.
    if (errors.length > 0) console.warn(`@kiln/nx-plugin: no artifact or promote targets: ${errors.map((e) => e.message).join('; ')}`);
    const names = new Set(errors.length > 0 ? [] : config.artifacts.projects);
    return new Set(projects.filter((p) => names.has(p.name)).flatMap((p) => p.configFiles.map(String)));
  } catch (error) {
    // A workspace kiln cannot read must not stop Nx's graph: say so, and add no service targets.
    if ((error as { name?: string }).name !== 'KilnError') throw error;
    console.warn(`@kiln/nx-plugin: no artifact or promote targets, kiln cannot read the workspace:\n${(error as Error).message}`);
    return new Set();
  } finally {
    delete process.env[REENTRY];
  }
}
