/** A position in a file; line and column are 1-based, as editors show them. */
export interface Location {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * Every code a diagnostic can carry, with what it means: the one catalogue (docs/diagnostics.md
 * shows it as a table, and a test keeps the two in step). Codes are stable, for tools, tests and
 * the `{"error":{"code"}}` document of `--json`: add a code here before using it, and never give
 * an existing code a second meaning.
 */
export const DIAGNOSTIC_CODES = {
  // The workspace and its configuration.
  'no-workspace': 'no nx.json, package.json or pnpm-workspace.yaml at or above the directory',
  'invalid-json': 'a JSON file has a syntax error',
  'invalid-yaml': 'a YAML file (pnpm-workspace.yaml) has a syntax error',
  'duplicate-key': 'a JSON object names the same key twice',
  'invalid-config': 'a setting has the wrong type or value (nx.json, project.json, package.json, the "kiln" key)',
  'missing-project-name': 'a project has no name and none can be derived (the workspace root)',
  'nx-plugin-failed': 'an Nx plugin listed in nx.json is missing or failed: its targets are left out and affected takes the safe side',
  'duplicate-project-name': 'two projects have the same name',
  'unknown-implicit-dependency': 'implicitDependencies names a project that does not exist',
  'invalid-owners-config': 'an "owners" setting (nx.json or a project) is malformed',
  'invalid-input': 'an inputs entry is not a form Nx knows',
  'unknown-named-input': 'an inputs entry names a named input that does not exist',
  'named-input-cycle': 'named inputs refer to each other in a loop',
  'invalid-depends-on': 'a dependsOn entry is not a form Nx knows',
  'unknown-config-key': 'a configuration file kiln checks key by key (turbo.json) has a key it does not know (the nearest is suggested)',
  'persistent-dependency': 'a turbo.json task depends on a persistent task, which never finishes',
  'turbo-conflict': 'nx.json and turbo.json both define a target, differently (a warning: the Nx definition is used)',
  // Command lines.
  usage: 'a command line kiln cannot read (an unknown option, a missing or extra argument)',
  'invalid-option': 'an option has a value it cannot take',
  'missing-target': 'kiln run was given no target',
  'invalid-task': 'a task is not written PROJECT:TARGET',
  'ambiguous-task': 'PROJECT:TARGET can be split into a project and a target in more than one way',
  'unknown-project': 'a project that does not exist was named (the nearest is suggested)',
  'unknown-target': 'a target a project does not have was named (the nearest is suggested)',
  'unknown-task': 'a task that is not in the task graph was named',
  'task-cycle': 'dependsOn links make tasks wait for each other in a loop',
  'invalid-shard-plan': 'a --plan file is not a plan kiln ci plan --json wrote, or does not hold the shard asked for',
  // git.
  'git-not-found': 'git is not installed or not on PATH',
  'git-failed': 'a git command failed (its own message is quoted)',
  'git-commit-failed': 'kiln release could not commit (often: no user.name or user.email)',
  'git-tag-failed': 'kiln release could not create a tag',
  'not-a-git-repository': 'the command needs a git repository and there is none',
  'unknown-base-ref': 'the base ref names no commit',
  'unknown-head-ref': 'the head ref names no commit',
  'no-merge-base': 'base and head have no common history',
  'shallow-clone': 'the merge-base is cut off by a shallow clone',
  'path-outside-repository': 'a path given lies outside the repository',
  // Lockfiles.
  'lockfile-invalid': 'a lockfile cannot be parsed (affected then counts it as wholly changed)',
  'lockfile-unsupported': 'a lockfile format or version kiln does not read',
  'lockfile-missing': 'a lockfile is missing on one side of a change',
  // Owners.
  'codeowners-not-found': 'no CODEOWNERS file where GitHub or GitLab looks for one',
  'no-owners-config': 'owners generate has nothing to generate from',
  // Release.
  'release-tag-pattern': 'the release tag pattern cannot tell independent projects apart',
  'release-needs-conventional-commits': 'nx.json turns conventional commits off, which kiln release needs',
  'release-fixed-unsupported': 'nx.json asks for fixed versioning, which kiln release does not do',
  'release-tag-exists': 'a tag kiln release would create already exists',
  'not-a-release-project': 'a project named on the command line is not among the release or artifact projects',
  'manifest-missing': 'a project has neither package.json nor project.json to hold its version',
  'manifest-invalid': 'the file holding a project\'s version cannot be read',
  'manifest-bad-version': 'a project\'s version is not a semantic version',
  // Artifacts and registries.
  'artifact-no-commit': 'kiln artifact needs a commit to stamp',
  'artifact-no-build-target': 'a project has no target to build its artifact with',
  'artifact-build-failed': 'the build of an artifact failed, was skipped or did not run',
  'artifact-interrupted': 'the build was interrupted; nothing was packed',
  'artifact-bad-output': 'the build output to pack is not one directory inside the workspace',
  'artifact-missing-output': 'the build output to pack does not exist after the build',
  'artifact-bad-base': 'a base image is neither oci:DIR[:REF] nor HOST/NAME:TAG',
  'artifact-base-missing': 'a base image cannot be found',
  'artifact-base-platform': 'a base image has no image for the platform asked for',
  'artifact-base-corrupt': 'a base image layer does not match its digest',
  'artifact-base-invalid': 'a base image\'s index, manifest or config is not of the shape the OCI image spec gives',
  'artifact-unsafe-entry': 'a base image layer holds an entry that would be written outside its folder',
  'artifact-index-invalid': 'dist/artifacts/artifacts.json cannot be read',
  'artifact-no-registry': '--push was given no destination and nx.json sets no kiln.registry',
  'artifact-bad-registry': 'a push destination is not HOST/NAME',
  'artifact-push-ambiguous': 'one push destination for several projects, without {projectName}',
  'artifact-checkout-failed': 'a temporary checkout for --check-reproducible could not be made (the work tree changes did not apply)',
  'artifact-not-found': 'the artifact to inspect is neither recorded here nor in the registry',
  'oci-bad-digest': 'an OCI layout names a digest kiln does not support',
  'oci-blob-corrupt': 'an OCI layout blob does not match its digest',
  'oci-blob-missing': 'an OCI layout names a blob it does not hold',
  'oci-layout-empty': 'the index.json of an OCI layout names no image',
  'oci-layout-invalid': 'the index.json or a manifest of an OCI layout is not JSON of the shape the OCI spec gives',
  'registry-unreachable': 'the registry did not answer (after retries, where retrying is safe)',
  'registry-auth-failed': 'the registry refused the credentials',
  'registry-request-failed': 'the registry answered a request with an error status',
  'registry-bad-response': 'the registry answered with something other than its API (an HTML page)',
  'registry-digest-mismatch': 'the registry reports a digest other than the one kiln computed',
  'registry-tag-exists': 'the registry tag for a version already holds another build',
  // Promotion.
  'promote-bad-argument': 'kiln promote was not given PROJECT@VERSION',
  'promote-bad-environment': 'an environment name that cannot be a file name',
  'promote-unknown-environment': 'an environment not in nx.json kiln.environments',
  'promote-never-built': 'the version to promote has no recorded artifact',
  'promote-not-in-previous': 'the version is not yet in the environment before this one',
  'promote-digest-mismatch': 'the registry no longer serves the recorded digest under the version tag',
  'environment-invalid': 'an environments/ENV.json file cannot be read',
  // The daemon.
  'daemon-failed': 'kiln daemon start: the daemon did not come up (see .kiln/daemon.log)',
  // kiln itself.
  internal: 'a bug in kiln (exit 70); please report it with the command you ran',
} as const satisfies Record<string, string>;

/** A code from the catalogue above. */
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/**
 * An error or warning a person can act on: a stable `code` from the catalogue (for tools and
 * tests), a message that says what is wrong, where it is, and what to do about it (`hint`).
 */
export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly location?: Location;
  readonly hint?: string;
}

export function diagnostic(
  code: DiagnosticCode,
  message: string,
  extra: { location?: Location; hint?: string; severity?: 'error' | 'warning' } = {},
): Diagnostic {
  return { code, severity: extra.severity ?? 'error', message, ...extra.location && { location: extra.location }, ...extra.hint && { hint: extra.hint } };
}

/** `file:line:column: message (hint)` — the one way a diagnostic is shown to a person. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.location
    ? `${d.location.file}${d.location.line ? `:${d.location.line}${d.location.column ? `:${d.location.column}` : ''}` : ''}: `
    : '';
  return `${where}${d.message}${d.hint ? `\n  ${d.hint}` : ''}`;
}

/** Thrown at an edge when a command cannot go on; the CLI prints it and exits with `exitCode`. */
export class KilnError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  readonly exitCode: number;
  constructor(diagnostics: Diagnostic | readonly Diagnostic[], exitCode = 2) {
    const list = Array.isArray(diagnostics) ? (diagnostics as readonly Diagnostic[]) : [diagnostics as Diagnostic];
    super(list.map(formatDiagnostic).join('\n'));
    this.name = 'KilnError';
    this.diagnostics = list;
    this.exitCode = exitCode;
  }
}

/** 1-based line and column of a character offset in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
