/**
 * graph: the project graph. Nodes are the workspace's projects; edges, typed as Nx types them,
 * come from package.json dependencies (all four kinds, any range or `workspace:`), source imports
 * (static, re-exports, `import()`, `require()`), root tsconfig `paths`, and implicitDependencies.
 * Cycles are allowed and reported; `findCycles` and `topologicalOrder` are generic so the task
 * graph can reuse them. Also records each project's external (npm) packages, and holds the one
 * file-to-project index (`ProjectIndex`: deepest root wins, roots normalised one way).
 * Pure: the import scanner takes text, the builder takes the scan results as data.
 * It leaves reading files to `api/`, and tasks to `tasks/`.
 */
export * from './types.js';
export { buildProjectGraph, declaredRange, ProjectGraphBuilder, dependenciesOf, dependentsOf, transitiveDependents, type GraphInput } from './build.js';
export { componentsOf, findCycles, topologicalOrder } from './cycles.js';
export { scanImports, scanImportBytes, isScannedSource, isSourceFile, sourceExtensions, type FileImports } from './scan.js';
export { ImportResolver, packageNameOf, type Resolution } from './resolve.js';
export { ProjectIndex, normalizeRoot } from './project-index.js';
export { walkImportTables, type ImportTableData, type ImportTableVisitor, type ResolvedImport } from './import-table.js';
export { matchProjects, resolveImplicitDependencies } from './implicit.js';
export { toNxProjectGraph, type NxGraphJson } from './nx-shape.js';
