/** `nx run SERVICE:promote --to=ENV [--artifactVersion=V]`: `kiln promote SERVICE@V --to ENV`, in-process. */
import type { ExecutorContext } from '@nx/devkit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asExecutor, promoteApi } from '../kiln';

export interface PromoteExecutorOptions {
  readonly to: string;
  /** Default: the version in the project's package.json (the one `kiln artifact` stamps). */
  readonly artifactVersion?: string;
}

export default async function promoteExecutor(options: PromoteExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return asExecutor(async () => {
    const project = context.projectName!;
    const version = options.artifactVersion ?? packageVersion(context.root, context.projectsConfigurations.projects[project]?.root ?? '.');
    if (version === undefined) {
      console.error(`${project} has no package.json version to promote.\n  Pass one: nx run ${project}:promote --to ${options.to} --artifactVersion=1.2.3`);
      return false;
    }
    const { promote } = await promoteApi();
    const r = await promote({ cwd: context.root, spec: `${project}@${version}`, environment: options.to, env: process.env });
    console.log(`${r.project}@${r.version} → ${r.environment}  ${r.digest}  (${r.file})`);
    return true;
  });
}

function packageVersion(workspaceRoot: string, projectRoot: string): string | undefined {
  try {
    const v = (JSON.parse(readFileSync(join(workspaceRoot, projectRoot, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
