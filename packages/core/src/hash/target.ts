import type { Project, TargetConfiguration } from '../workspace/index.js';

/** The part of a target's configuration that decides what runs and what it produces (a fingerprint's `target`). */
export function targetFingerprint(
  project: Pick<Project, 'packageJson'>,
  config: TargetConfiguration,
  configuration: string | undefined,
  args: readonly string[] | undefined,
): Record<string, unknown> {
  return {
    executor: config.executor ?? null,
    options: config.options ?? {},
    configuration: configuration ?? null,
    configurationOptions: configuration ? (config.configurations?.[configuration] ?? {}) : {},
    outputs: config.outputs ?? [],
    ...(config.executor === 'nx:run-script' && { script: (config.metadata as { scriptContent?: string } | undefined)?.scriptContent ?? null }),
    ...(args && args.length > 0 && { args }),
    ...(project.packageJson?.name !== undefined && config.executor === 'nx:run-script' && { package: project.packageJson.name }),
  };
}
