/**
 * The flag names Nx and turbo users type. Where one means what a kiln option means, it is accepted
 * as that option; otherwise an unknown-option error names kiln's nearest equivalent.
 */
interface ForeignFlag {
  /** kiln's option, if it has one. */
  readonly to?: string;
  /** Accepted as `to` (same meaning), rather than only suggested. */
  readonly same: boolean;
  /** What differs, when only suggested. */
  readonly note?: string;
}

const FOREIGN_FLAGS: Readonly<Record<string, ForeignFlag>> = {
  'skip-nx-cache': { to: 'skip-cache', same: true },
  force: { to: 'skip-cache', same: true },
  concurrency: { to: 'parallel', same: true },
  'nx-bail': { to: 'bail', same: true },
  'no-cache': { to: 'skip-cache', same: false, note: 'it runs every task and still stores the results' },
  'skip-cache-write': { to: 'skip-cache', same: false, note: 'it runs every task and still stores the results' },
  'output-logs': { to: 'output-style', same: false, note: 'stream, grouped or summary' },
  'log-order': { to: 'output-style', same: false, note: 'stream, grouped or summary' },
  dry: { to: 'dry-run', same: true },
  continue: { to: 'bail', same: false, note: 'kiln keeps going after a failure unless given --bail' },
  'nx-ignore-cycles': { to: 'bail', same: false, note: 'kiln reports task cycles as errors' },
  all: { same: false, note: 'kiln selects every project unless given -p or --filter' },
  focus: { same: false, note: 'kiln graph PROJECT focuses one project' },
  'cache-dir': { same: false, note: 'kiln reads its cache folder from nx.json "kiln": {"cacheDirectory"}' },
  graph: { same: false, note: 'the graph is its own command: kiln graph' },
};

/** `argv` with the accepted foreign flags renamed to kiln's, for a command with `options` (nothing after `--` is touched). */
export function renameForeignFlags(argv: readonly string[], options: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...out, ...argv.slice(i)];
    const m = /^--([^=]+)(=.*)?$/.exec(arg);
    const foreign = m && !(m[1]! in options) ? FOREIGN_FLAGS[m[1]!] : undefined;
    out.push(foreign?.same && foreign.to !== undefined && foreign.to in options ? `--${foreign.to}${m![2] ?? ''}` : arg);
  }
  return out;
}

/** For an unknown `--name`: what kiln has instead, when Nx or turbo has that name; else undefined. */
export function foreignFlagHint(name: string, options: Readonly<Record<string, unknown>>): string | undefined {
  const foreign = FOREIGN_FLAGS[name];
  if (!foreign) return undefined;
  if (foreign.to === undefined || !(foreign.to in options)) return foreign.note ? ` --${name} is Nx's or turbo's option: ${foreign.note}.` : undefined;
  return ` --${name} is Nx's or turbo's name: kiln's is "--${foreign.to}"${foreign.note ? ` (${foreign.note})` : ''}.`;
}

/**
 * The Nx and turbo names "did you mean" looks among as well, for a command with `options`: those
 * naming one of its options. A typo is never answered with a name kiln does not take there.
 */
export function foreignFlagNamesFor(options: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(FOREIGN_FLAGS)
    .filter(([name, f]) => !(name in options) && f.to !== undefined && f.to in options)
    .map(([name]) => name);
}
