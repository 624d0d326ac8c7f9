/**
 * owners: CODEOWNERS read exactly as GitHub reads it (and GitLab's dialect with sections),
 * compiled into a fast matcher; lint, pull-request approval checks and generation of the file
 * from per-project ownership. Pure: the text, the file list and the changed files come in as
 * data; finding the file (api/load-owners.ts), git and the workspace are api/'s business.
 */
export * from './types.js';
export * from './parse.js';
export * from './pattern.js';
export * from './matcher.js';
export * from './approvals.js';
export * from './locate.js';
export * from './lint.js';
export * from './generate.js';
