import { expandEnvNames, isEnvWildcard } from '../inputs/env-patterns.js';
import { envDigest } from '../model/index.js';
import { FINGERPRINT_VERSION, type Fingerprint } from './fingerprint.js';

/** What a fingerprint is made from; gathered at the edge (files, env, runtime output), given here as data. */
export interface FingerprintInputs {
  readonly task: string;
  readonly root: string;
  readonly target: Readonly<Record<string, unknown>>;
  /** The task's input files (already selected by `inputs/`). */
  readonly files: readonly string[];
  /** Blob id of each file; a file with no digest (deleted since listing) is left out. */
  readonly digestOf: (file: string) => string | undefined;
  readonly dependencies: Readonly<Record<string, string>>;
  /** Dependency projects (via `^` inputs) → digest of their input files. */
  readonly projectFiles?: Readonly<Record<string, string>>;
  readonly envNames: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly runtime: Readonly<Record<string, string>>;
  readonly external: Readonly<Record<string, string>>;
}

export function buildFingerprint(i: FingerprintInputs): Fingerprint {
  const files = record<string>();
  for (const f of sorted(i.files)) {
    const d = i.digestOf(f);
    if (d !== undefined) files[f] = d;
  }
  const env = record<string | null>();
  // turbo.json's `MY_API_*` and `!NAME` patterns stand for the variables they match.
  const names = expandEnvNames(i.envNames, i.env);
  for (const name of names) env[name] = envDigest(i.env[name]);
  // A wildcard keeps an entry of its own, the names it matched: no variable is named like it, so
  // `kiln run`'s fast path (which checks each entry by name) never replays past a new match.
  const negations = i.envNames.filter((n) => n.startsWith('!'));
  for (const p of i.envNames) if (isEnvWildcard(p)) env[p] = envDigest(expandEnvNames([p, ...negations], i.env).join('\0'));
  return {
    version: FINGERPRINT_VERSION,
    task: i.task,
    root: i.root,
    target: i.target,
    files,
    dependencies: sortKeys(i.dependencies),
    projectFiles: sortKeys(i.projectFiles ?? {}),
    env: sortKeys(env),
    runtime: sortKeys(i.runtime),
    external: sortKeys(i.external),
  };
}

function sortKeys<T>(r: Readonly<Record<string, T>>): Record<string, T> {
  const out = record<T>();
  for (const k of Object.keys(r).sort()) out[k] = r[k]!;
  return out;
}

/**
 * An empty record for names (paths, task ids) without a prototype: no name is mistaken for an
 * inherited property (`constructor`), and the engine keeps it as a table from the start instead of
 * deriving a shape for every new set of names (a fresh clone's plan meets 30,000 paths once each).
 */
function record<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** `list` sorted (as `sort()` sorts): as it is when it comes sorted, as the input selection gives it. */
function sorted(list: readonly string[]): readonly string[] {
  for (let i = 1; i < list.length; i++) if (!(list[i - 1]! < list[i]!)) return [...list].sort();
  return list;
}
