/**
 * `dependsOn` entries that a project writes in its own configuration (project.json `targets`,
 * package.json `nx.targets`) and that name a target of that same project which it does not have.
 * Nx skips such an entry without a word (nrwl/nx#32779), so a misspelt target silently drops a
 * step of the build; kiln reports each one at its entry. Entries that come from nx.json
 * `targetDefaults` stay optional, as Nx made them (nrwl/nx#9344): they apply to every project,
 * and only some projects have the target. Entries naming other projects are the task graph's to
 * check (`tasks/`). Pure.
 */
import { diagnostic, didYouMean, type Diagnostic } from '../model/index.js';
import type { JsonPath, ParsedJson } from './json.js';
import { formatPath, isObject } from './validate.js';

/** The target a dependsOn entry names in its own project, or undefined when it names others (`^build`, `proj:build`, `projects`...). */
function ownTarget(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry.startsWith('^') || entry.indexOf(':') > 0 ? undefined : entry;
  if (!isObject(entry) || typeof entry.target !== 'string' || entry.dependencies === true) return undefined;
  return entry.projects === undefined || entry.projects === 'self' || entry.projects === '{self}' ? entry.target : undefined;
}

/**
 * A problem for each entry under `doc`'s targets (at `at`) that names a target `project` does not
 * have among its final `targets`. A glob matching nothing is not one: Nx treats it as optional.
 */
export function unknownOwnTargets(project: string, targets: Readonly<Record<string, unknown>>, doc: ParsedJson, at: JsonPath): Diagnostic[] {
  let written: unknown = doc.value;
  for (const key of at) written = isObject(written) ? written[key] : undefined;
  if (!isObject(written)) return [];
  const problems: Diagnostic[] = [];
  const names = Object.keys(targets).sort();
  for (const [name, target] of Object.entries(written)) {
    const dependsOn = isObject(target) && Array.isArray(target.dependsOn) ? target.dependsOn : [];
    dependsOn.forEach((entry, i) => {
      const wanted = ownTarget(entry);
      if (wanted === undefined || targets[wanted] !== undefined || /[*?[\]{}!]/.test(wanted)) return;
      const path = [...at, name, 'dependsOn', i];
      problems.push(
        diagnostic('unknown-target', `"${formatPath(path)}" names "${wanted}", but project "${project}" has no such target.${didYouMean(wanted, names)}`, {
          location: doc.locate(path),
          hint: `Its targets: ${names.join(', ') || '(none)'}. Fix the name, add the target, or remove the entry (Nx would skip it silently).`,
        }),
      );
    });
  }
  return problems;
}
