/**
 * model: the basic vocabulary every other module speaks.
 * Branded ids and paths (only parsers create them), `Result` for errors as values,
 * and `Diagnostic`, an error or warning with a stable code and a file location.
 * Also the one canonical JSON and the digests (SHA-256, git blob id) every module takes.
 * Pure: no I/O, no dependencies.
 */
export * from './brand.js';
export * from './result.js';
export * from './diagnostic.js';
export * from './nearest.js';
export * from './paths.js';
export * from './digest.js';
