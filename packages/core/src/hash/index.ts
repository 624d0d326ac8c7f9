/**
 * hash: task fingerprints and their digests. A fingerprint is one documented structure with a
 * schema version (see `Fingerprint`); the task hash is the SHA-256 of its canonical JSON.
 * `diffFingerprints` explains a cache miss field by field.
 *
 * Pure: file digests, env values and runtime outputs arrive as data; reading files and asking
 * git is the edge's job (`files/`), storing fingerprints is `cache/`'s.
 */
export * from './fingerprint.js';
export * from './build.js';
export * from './diff.js';
