/**
 * release: versions and artifacts per project.
 * Pure: conventional-commit parsing and bump rules (semver.ts, commits.ts, plan.ts), release
 * tags (tags.ts), changelog text (changelog.ts), deterministic tar (tar.ts), OCI image data
 * (oci.ts), artifact names, output paths and index entries (artifacts.ts), promotion decisions
 * (promote.ts), the shapes of the records read back (record-shapes.ts), settings (config.ts),
 * the release context with its project lookups (context.ts), zip reading (zip.ts) and how two
 * builds of an artifact differ (differences.ts).
 * Edge: current versions from manifests (versions.ts), a release's version and changelog files
 * (apply.ts), packing an artifact (pack.ts), OCI layouts and safe extraction on disk
 * (layout.ts), the artifact index and environment files (records.ts), and the registry client
 * with push and pull on top (registry.ts), and temporary checkouts to build again in
 * (checkout.ts).
 * Reading git history is scm/'s; reading the workspace and building are api/'s.
 */
export * from './semver.js';
export * from './commits.js';
export * from './plan.js';
export * from './tags.js';
export * from './changelog.js';
export * from './tar.js';
export * from './oci.js';
export * from './promote.js';
export * from './layout.js';
export * from './registry.js';
export * from './credentials.js';
export * from './config.js';
export * from './source.js';
export * from './context.js';
export * from './versions.js';
export * from './apply.js';
export * from './artifacts.js';
export * from './records.js';
export * from './record-shapes.js';
export * from './pack.js';
export * from './zip.js';
export * from './differences.js';
export * from './checkout.js';
export * from './sbom.js';
export * from './provenance.js';
export * from './attestations.js';
export * from './referrers.js';
export * from './attach.js';
export * from './served.js';
