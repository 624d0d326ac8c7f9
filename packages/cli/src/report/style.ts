/**
 * `--output-style` and its Nx and turbo spellings, resolved to one of kiln's three styles.
 * Nx's `--output-style` names and turbo's `--output-logs` values are accepted where they mean the
 * same thing (docs/run.md has the table).
 */

/**
 * - `stream`: each line of a task's output as it comes, prefixed with the task's id; a line per
 *   task, cached ones included, with their logs replayed (Nx's `stream`, turbo's `full`).
 * - `grouped`: a task's output together once it ends; cached tasks only in the counts (Nx's
 *   `static`/`tui`, turbo's `new-only`).
 * - `summary`: only failed tasks' output, then the summary (turbo's `errors-only`, `none`).
 */
export type OutputStyle = 'stream' | 'grouped' | 'summary';

export const OUTPUT_STYLES: readonly OutputStyle[] = ['stream', 'grouped', 'summary'];

/** Nx's `--output-style` names → kiln's. */
const NX_STYLES: Readonly<Record<string, OutputStyle>> = {
  stream: 'stream',
  'stream-without-prefixes': 'stream',
  static: 'grouped',
  dynamic: 'grouped',
  'dynamic-legacy': 'grouped',
  tui: 'grouped',
  grouped: 'grouped',
  summary: 'summary',
};

/** turbo's `--output-logs` values → kiln's styles (`hash-only` has no counterpart: kiln never prints a task's hash alone). */
const TURBO_LOGS: Readonly<Record<string, OutputStyle>> = {
  full: 'stream',
  'new-only': 'grouped',
  'errors-only': 'summary',
  none: 'summary',
};

export type StyleChoice = { readonly ok: true; readonly style: OutputStyle } | { readonly ok: false; readonly message: string; readonly hint: string };

/**
 * The style asked for (`--output-style`, else `--output-logs`), or the default: `grouped` on an
 * interactive terminal (a fully cached run is one line), `stream` in CI and pipes (every line, as
 * logs want). `--verbose` asks for `stream` unless a style is named.
 */
export function chooseOutputStyle(asked: { readonly style?: string; readonly logs?: string; readonly verbose?: boolean; readonly interactive: boolean }): StyleChoice {
  if (asked.style !== undefined) {
    const style = NX_STYLES[asked.style];
    if (style) return { ok: true, style };
    return {
      ok: false,
      message: `--output-style expects one of ${OUTPUT_STYLES.join(', ')} (or Nx's ${Object.keys(NX_STYLES)
        .filter((s) => !OUTPUT_STYLES.includes(s as OutputStyle))
        .join(', ')}), got "${asked.style}".`,
      hint: 'See "Output" in docs/run.md.',
    };
  }
  if (asked.logs !== undefined) {
    const style = TURBO_LOGS[asked.logs];
    if (style) return { ok: true, style };
    return {
      ok: false,
      message: `--output-logs expects one of ${Object.keys(TURBO_LOGS).join(', ')}, got "${asked.logs}".`,
      hint:
        asked.logs === 'hash-only' ? 'kiln has no hash-only style: use --output-style summary, or --dry-run to see every hash.' : 'Or use --output-style stream|grouped|summary.',
    };
  }
  return { ok: true, style: asked.verbose || !asked.interactive ? 'stream' : 'grouped' };
}
