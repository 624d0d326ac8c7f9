/**
 * Environment inputs written as patterns, as turbo.json `env` and `globalEnv` write them: `*` is a
 * wildcard (`MY_API_*`), a leading `!` takes matching names out again (`!MY_API_URL`). A plain name
 * is an input whether or not it is set (its absence is hashed too). Pure.
 */

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
