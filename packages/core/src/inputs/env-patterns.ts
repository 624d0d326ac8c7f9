/**
 * Environment inputs written as patterns, as turbo.json `env` and `globalEnv` write them: `*` is a
 * wildcard (`MY_API_*`), a leading `!` takes matching names out again (`!MY_API_URL`). A plain name
 * is an input whether or not it is set (its absence is hashed too). Pure.
 */
import { envDigest } from '../model/digest.js';

/** Whether any name is a pattern rather than a plain variable name. */
export function hasEnvPatterns(names: readonly string[]): boolean {
  return names.some((n) => n.startsWith('!') || n.includes('*'));
}

/**
 * The variable names `names` stand for in `env`, sorted: plain names as they are, wildcards
 * expanded to the set variables they match, then every name a `!` pattern matches removed (in
 * whatever order the list wrote them, as turbo does).
 */
export function expandEnvNames(names: readonly string[], env: Readonly<Record<string, string | undefined>>): string[] {
  if (!hasEnvPatterns(names)) return [...new Set(names)].sort();
  const included = new Set<string>();
  const excluded: ((name: string) => boolean)[] = [];
  for (const raw of names) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (negated) excluded.push(envMatcher(pattern));
    else if (!pattern.includes('*')) included.add(pattern);
    else {
      const m = envMatcher(pattern);
      for (const name of Object.keys(env)) if (env[name] !== undefined && m(name)) included.add(name);
    }
  }
  return [...included].filter((n) => !excluded.some((m) => m(n))).sort();
}

function envMatcher(pattern: string): (name: string) => boolean {
  if (!pattern.includes('*')) return (name) => name === pattern;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const re = new RegExp(`^${source}$`);
  return (name) => re.test(name);
}

/** A pattern that stands for variables (`MY_API_*`); a `!` pattern never does, it only takes names out. */
export function isEnvWildcard(name: string): boolean {
  return !name.startsWith('!') && name.includes('*');
}

/**
 * Each wildcard among `names` → the set variables of `env` it matches, sorted, before any `!`
 * pattern takes names out. What a record of env digests needs besides them: a fingerprint keeps a
 * wildcard as an entry of its own, the digest of the names it stood for (`hash/build.ts`), which
 * no variable's value can be compared with.
 */
export function wildcardMatches(names: readonly string[], env: Readonly<Record<string, string | undefined>>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of names) if (isEnvWildcard(name)) out[name] = expandEnvNames([name], env);
  return out;
}

/**
 * The first entry of `recorded` (a variable → the digest of its value, as fingerprints keep them)
 * that `env` no longer gives: a variable whose value differs, or a wildcard that matches other
 * variables than `matched` (from `wildcardMatches`) says, or that `matched` does not know. A
 * wildcard matching the same variables stands for the same names (the `!` patterns come with the
 * configuration), so its digest is the same; each name's value is an entry of its own.
 */
export function changedEnv(
  recorded: Readonly<Record<string, string | null>>,
  matched: Readonly<Record<string, readonly string[]>> | undefined,
  env: Readonly<Record<string, string | undefined>>,
): { readonly name: string; readonly wildcard: boolean } | undefined {
  for (const [name, digest] of Object.entries(recorded)) {
    if (!isEnvWildcard(name)) {
      if (envDigest(env[name]) !== digest) return { name, wildcard: false };
      continue;
    }
    const was = matched?.[name];
    if (was === undefined || expandEnvNames([name], env).join('\0') !== [...was].sort().join('\0')) return { name, wildcard: true };
  }
  return undefined;
}
