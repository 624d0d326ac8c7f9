/**
 * The settings reproducible-builds.org asks a build to run with, for a task kiln spawns:
 * `SOURCE_DATE_EPOCH` (the committer time of the latest commit touching the project's
 * directory), `TZ=UTC`, and umask 022 (`sh` only). A target opts out with
 * `"options": {"kiln": {"reproducible": false}}`. The epoch is not part of the task hash: it is
 * derived from the same history the inputs come from (see docs/release.md, "Reproducible builds").
 * Which commands run and how is exec.ts's.
 */
/** Where a task's `SOURCE_DATE_EPOCH` comes from: the commits touching `paths` below `workspaceRoot`. */
export interface ReproducibleSource {
  /** Absolute workspace root (git runs there). */
  readonly workspaceRoot: string;
  /** Workspace-relative; `''` is the whole workspace. */
  readonly paths: readonly string[];
}

export const REPRODUCIBLE_TZ = 'UTC';
export const REPRODUCIBLE_UMASK = '022';

/** False when the target's options say `"kiln": {"reproducible": false}`. */
export function wantsReproducible(options: Readonly<Record<string, unknown>>): boolean {
  const kiln = options.kiln;
  return !(kiln !== null && typeof kiln === 'object' && (kiln as { reproducible?: unknown }).reproducible === false);
}

/**
 * The variables a reproducible task gets: `SOURCE_DATE_EPOCH` (unless the environment or the
 * target already sets one, which wins, as the convention asks) and `TZ`.
 */
export function reproducibleEnv(epoch: number | undefined, inherited: NodeJS.ProcessEnv, own: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = { TZ: REPRODUCIBLE_TZ };
  if (epoch !== undefined && inherited.SOURCE_DATE_EPOCH === undefined && own.SOURCE_DATE_EPOCH === undefined) env.SOURCE_DATE_EPOCH = String(epoch);
  return env;
}

/** One lookup per set of paths per process: every task of a project shares it. */
const epochs = new Map<string, Promise<number | undefined>>();

/** The committer time of the latest commit touching the source's paths (HEAD's when none does); undefined outside git. */
export function sourceDateEpoch(source: ReproducibleSource): Promise<number | undefined> {
  const key = `${source.workspaceRoot}\0${source.paths.join('\0')}`;
  let epoch = epochs.get(key);
  if (epoch === undefined) {
    // scm loads only when a task really runs: a fully cached run never needs it.
    epoch = import('../scm/index.js').then((scm) => scm.lastCommitTime(source.workspaceRoot, source.paths)).catch(() => undefined);
    epochs.set(key, epoch);
  }
  return epoch;
}

/** A command as it runs reproducibly: the variables added (the target's own `env` still wins) and, under `sh`, umask 022 first. */
export async function withReproducibility<T extends { readonly commands: readonly string[]; readonly env: Readonly<Record<string, string>> }>(
  cmd: T,
  source: ReproducibleSource,
): Promise<T> {
  const env = { ...reproducibleEnv(await sourceDateEpoch(source), process.env, cmd.env), ...cmd.env };
  const commands = process.platform === 'win32' ? cmd.commands : cmd.commands.map((c) => `umask ${REPRODUCIBLE_UMASK}\n${c}`);
  return { ...cmd, env, commands };
}
