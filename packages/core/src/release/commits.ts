/**
 * Conventional commits (https://www.conventionalcommits.org/en/v1.0.0/): parse a message into
 * its type, scope, subject and breaking flag, and say what bump it asks for.
 */
import type { Bump } from './semver.js';

export interface ConventionalCommit {
  readonly type: string;
  readonly scope?: string;
  readonly subject: string;
  readonly breaking: boolean;
  /** The `BREAKING CHANGE:` footer's text, or the subject when the header carries `!`. */
  readonly breakingNote?: string;
}

export type ParsedMessage =
  | { readonly kind: 'conventional'; readonly commit: ConventionalCommit }
  /** Looks like an attempt at a conventional header but is not one: the caller notes and skips it. */
  | { readonly kind: 'malformed'; readonly reason: string }
  /** An ordinary message (`Merge branch …`, `Update README`): no bump, nothing to say. */
  | { readonly kind: 'other' };

const HEADER = /^([a-zA-Z]+)(?:\(([^()\r\n]*)\))?(!)?: (\S.*)$/;
const ATTEMPT = /^[a-zA-Z]+(?:\(|!|:)/;
const BREAKING_FOOTER = /^BREAKING[ -]CHANGE: ?([\s\S]*)$/m;

export function parseCommitMessage(message: string): ParsedMessage {
  const text = message.replace(/\r\n/g, '\n');
  const header = text.split('\n', 1)[0]!.trim();
  const m = HEADER.exec(header);
  if (!m) {
    if (!ATTEMPT.test(header)) return { kind: 'other' };
    return { kind: 'malformed', reason: malformedReason(header) };
  }
  const [, type, scope, bang, subject] = m;
  if (scope !== undefined && scope.trim() === '') return { kind: 'malformed', reason: 'the scope in "()" is empty' };
  const body = text.slice(header.length);
  const footer = BREAKING_FOOTER.exec(body);
  const breakingNote = footer ? footer[1]!.trim().split(/\n\s*\n/, 1)[0]!.trim() || subject!.trim() : bang ? subject!.trim() : undefined;
  return {
    kind: 'conventional',
    commit: {
      type: type!.toLowerCase(),
      ...(scope !== undefined && { scope: scope.trim() }),
      subject: subject!.trim(),
      breaking: Boolean(bang || footer),
      ...(breakingNote !== undefined && { breakingNote }),
    },
  };
}

function malformedReason(header: string): string {
  if (/^[a-zA-Z]+\([^)]*$/.test(header)) return 'the scope is not closed with ")"';
  if (/^[a-zA-Z]+(\([^)]*\))?!?:\S/.test(header)) return 'a space is missing after ":"';
  if (/^[a-zA-Z]+(\([^)]*\))?!?:\s*$/.test(header)) return 'the description after ":" is empty';
  return 'the header is not "type(scope)!: description"';
}

/** `fix`/`perf` → patch, `feat` → minor, breaking → major; every other type → no bump. */
export function bumpOf(commit: ConventionalCommit): Bump | undefined {
  if (commit.breaking) return 'major';
  if (commit.type === 'feat') return 'minor';
  if (commit.type === 'fix' || commit.type === 'perf') return 'patch';
  return undefined;
}
