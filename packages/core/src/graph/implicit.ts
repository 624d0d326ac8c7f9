/**
 * implicitDependencies, as Nx reads them: a project name, a glob over names (`shared-*`) or
 * roots (`libs/*`), `tag:x` (tags may be globs too), and `!pattern` to exclude and to remove an
 * edge that files or package.json would otherwise create. Pure.
 */
import micromatch from 'micromatch';
import { diagnostic, didYouMean, type Diagnostic, type ProjectName } from '../model/index.js';
import type { Project } from '../workspace/index.js';

const isGlob = (s: string): boolean => /[*?[\]{}()!+@]/.test(s);

/** The projects one pattern names. */
export function matchProjects(pattern: string, projects: ReadonlyMap<ProjectName, Project>): ProjectName[] {
  if (pattern.startsWith('tag:')) {
    const tag = pattern.slice(4);
    const glob = isGlob(tag);
    return [...projects.values()].filter((p) => p.tags.includes(tag) || (glob && micromatch.some(p.tags, tag))).map((p) => p.name);
  }
  if (projects.has(pattern as ProjectName)) return [pattern as ProjectName];
  if (!isGlob(pattern)) return [];
  const byName = [...projects.keys()].filter((n) => micromatch.isMatch(n, pattern));
  if (byName.length > 0) return byName;
  return [...projects.values()].filter((p) => micromatch.isMatch(p.root === '' ? '.' : p.root, pattern)).map((p) => p.name);
}

export interface ImplicitResolution {
  /** Targets to add as `implicit` edges. */
  readonly add: ProjectName[];
  /** Targets whose edges of any type are removed. */
  readonly remove: ProjectName[];
}

/** Resolves one project's implicitDependencies; a plain name that matches nothing is an error with a suggestion. */
export function resolveImplicitDependencies(
  project: Project,
  projects: ReadonlyMap<ProjectName, Project>,
): { value: ImplicitResolution; problems: Diagnostic[] } {
  const add = new Set<ProjectName>();
  const remove = new Set<ProjectName>();
  const problems: Diagnostic[] = [];
  const patterns = project.implicitDependencies;
  // As Nx: a list starting with an exclusion means "everything except".
  const positives = patterns.filter((p) => !p.startsWith('!'));
  const negatives = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  for (const pattern of positives) {
    const matched = matchProjects(pattern, projects);
    if (matched.length === 0 && !isGlob(pattern) && !pattern.startsWith('tag:')) problems.push(unknownProject(project, pattern, projects));
    for (const m of matched) add.add(m);
  }
  for (const pattern of negatives) {
    const matched = matchProjects(pattern, projects);
    if (matched.length === 0 && !isGlob(pattern) && !pattern.startsWith('tag:')) problems.push(unknownProject(project, pattern, projects));
    for (const m of matched) {
      add.delete(m);
      remove.add(m);
    }
  }
  add.delete(project.name);
  return { value: { add: [...add].sort(), remove: [...remove].sort() }, problems };
}

function unknownProject(project: Project, name: string, projects: ReadonlyMap<ProjectName, Project>): Diagnostic {
  return diagnostic('unknown-implicit-dependency', `project "${project.name}" lists "${name}" in implicitDependencies, but no project has that name.${didYouMean(name, projects.keys())}`, {
    location: { file: project.configFiles[project.configFiles.length - 1] ?? project.root },
    hint: 'Use a project name, a glob, or tag:TAG; run `kiln projects` to see the names.',
  });
}
