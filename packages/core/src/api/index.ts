/**
 * api: the operations the CLI and the Nx plugin call, one file per operation, wiring the edge
 * modules (git, files) to the pure ones.
 */
export * from './owners.js';
export { release, releaseIn, type ReleaseOptions, type ReleaseResult, type ReleasedProject } from './release.js';
export { artifact, artifactIn, readArtifactIndex, type ArtifactOptions, type ArtifactResult, type ArtifactSummary, type BuildStep } from './artifact.js';
export { promote, promoteIn, type PromoteResult } from './promote.js';
export type { ReleaseContext, ReleaseProjectInfo } from './release-context.js';
