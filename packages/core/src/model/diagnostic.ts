/** A position in a file; line and column are 1-based, as editors show them. */
export interface Location {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * An error or warning a person can act on: a stable `code` (kebab-case, for tools and tests),
 * a message that says what is wrong, where it is, and what to do about it (`hint`).
 */
export interface Diagnostic {
  readonly code: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly location?: Location;
  readonly hint?: string;
}

export function diagnostic(
  code: string,
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
