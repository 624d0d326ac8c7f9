/** Which npm package an executor comes from. Pure, and free of imports: the warm `affected` path loads it. */
import type { TargetConfiguration } from '@nx/devkit';

/**
 * The npm packages whose executors a project's targets use (`@nx/angular:application` →
 * `@nx/angular`), Nx's own `nx:` executors aside: each is an external dependency of the targets
 * that use it, as Nx hashes it.
 */
export function executorPackages(targets: Readonly<Record<string, TargetConfiguration>>): string[] {
  const out = new Set<string>();
  for (const t of Object.values(targets)) {
    const at = t.executor?.lastIndexOf(':') ?? -1;
    if (at > 0 && !t.executor!.startsWith('nx:') && !/^[./]/.test(t.executor!)) out.add(t.executor!.slice(0, at));
  }
  return [...out].sort();
}
