/** `nx run SERVICE:artifact`: `kiln artifact -p SERVICE`, in-process through kiln's API. */
import type { ExecutorContext } from '@nx/devkit';
import { artifactApi, asExecutor } from '../kiln';

export interface ArtifactExecutorOptions {
  /** HOST/NAME ({projectName} allowed), or true for nx.json kiln.registry. */
  readonly push?: string | boolean;
}

export default async function artifactExecutor(options: ArtifactExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return asExecutor(async () => {
    const { artifact } = await artifactApi();
    const result = await artifact({
      cwd: context.root,
      projects: [context.projectName!],
      ...(options.push !== undefined && options.push !== false && { push: options.push }),
      env: process.env,
      progress: (line) => console.log(line),
      warn: (line) => console.warn(line),
      output: (chunk) => process.stdout.write(chunk),
    });
    for (const a of result.artifacts) console.log(`${a.project}@${a.version}  ${a.digest}  ${a.path}${a.pushed ? `  pushed ${a.pushed}` : ''}`);
    return true;
  });
}
