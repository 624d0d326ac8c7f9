/** A fingerprint change in words (`kiln why-miss`, and why a task ran with `kiln run --verbose` and `--dry-run`). */
import type { FingerprintChange } from '@kiln/core/api/why-miss';
import { unreachable } from '@kiln/core/model';

export function describeChange(c: FingerprintChange): string {
  switch (c.kind) {
    case 'file':
      return `file ${c.change}: ${c.path}`;
    case 'dependency':
      return `dependency ${c.change}: ${c.task}${c.previous && c.current ? ` (${c.previous.slice(0, 12)} → ${c.current.slice(0, 12)}), because:` : ''}`;
    case 'env':
      return `env ${c.change}: ${c.name}`;
    case 'runtime':
      return `runtime output ${c.change}: ${c.command}`;
    case 'external':
      return `package ${c.change}: ${c.package}${c.previous ? ` ${c.previous}` : ''}${c.current ? ` → ${c.current}` : ''}`;
    case 'project-files':
      // One digest stands for the dependency and everything below it (a Merkle chain), so this names the dependency, not the file.
      return `^ inputs of dependency ${c.project} ${c.change} (its files or external packages, or those of a project it depends on)`;
    case 'target':
      return `target option ${c.field}: ${JSON.stringify(c.previous ?? null)} → ${JSON.stringify(c.current ?? null)}`;
    case 'root':
      return `project root: ${c.previous} → ${c.current}`;
    case 'version':
      return `fingerprint version ${c.previous} → ${c.current}`;
    default:
      return unreachable(c);
  }
}
