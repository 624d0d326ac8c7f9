/**
 * select: which projects a command line names. Nx's `-p`/`--projects` and `--exclude` patterns
 * (names, globs, `tag:`, directories, `!`), rule for rule as Nx's `findMatchingProjects`, and
 * turbo's `--filter` selectors (`name`, `...name`, `name...`, `^`, `./dir`, `{dir}`, `[REF]`, `!`).
 * Pure: the projects, their dependencies and the projects changed since a ref come in as data;
 * reading the workspace and asking git is api/select.ts's business.
 */
export * from './types.js';
export { findMatchingProjects, isGlobPattern } from './nx-patterns.js';
export { parseFilter, rangeKey, type TurboFilter, type FilterParse } from './turbo-filter.js';
export { isPlainNames, isSelecting, planSelection, selectProjects, type SelectionPlan } from './select.js';
