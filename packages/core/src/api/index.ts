/**
 * api: the operations the CLI and the Nx plugin call, one file per operation, wiring the edge
 * modules (git, files) to the pure ones.
 */
export * from './owners.js';
