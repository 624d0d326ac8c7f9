/**
 * CODEOWNERS text → rules, sections and syntax findings, with 1-based line and column for each.
 * Invalid lines are reported in GitHub's words (`Invalid pattern on line 3: ...`) and skipped;
 * the rest of the file still applies, as on GitHub. Matching itself is `matcher.ts`'s business.
 */
import type { CodeownersRule, CodeownersSection, Dialect, OwnersFinding, ParsedCodeowners } from './types.js';

export interface ParseOptions {
  /** Repository-relative path, used in findings. Default `CODEOWNERS`. */
  readonly file?: string;
  /** `auto` (the default) picks GitLab when the file has a section header, else GitHub. */
  readonly dialect?: Dialect | 'auto';
}

/** GitHub does not load a CODEOWNERS file of 3 MB or more. */
export const MAX_CODEOWNERS_BYTES = 3 * 1024 * 1024;

const SECTION_HEADER = /^(\^)?\[([^\]]*)\](?:\[([^\]]*)\])?(?=\s|$)(.*)$/;

// GitHub's rule for new accounts (alphanumerics and single inner hyphens) is not the rule for old
// ones: handles such as `@tobias-` and `@-x` exist, and Enterprise Managed Users carry `_shortcode`.
// Accept what GitHub has accepted: letters, digits, `-` and `_` anywhere.
const GITHUB_USER = /^@[A-Za-z0-9_-]+$/;
const GITHUB_TEAM = /^@[A-Za-z0-9_-]+\/[A-Za-z0-9_](?:[A-Za-z0-9._-]*)$/;
const GITLAB_NAME = /^@[A-Za-z0-9_.][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*$/;
const GITLAB_ROLE = /^@@(?:developer|maintainer|owner)s?$/i;
const EMAIL = /^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;

/** Whether `owner` is written the way `dialect` accepts owners (`@user`, `@org/team`, email; GitLab also `@group/sub` and `@@role`). */
export function isValidOwner(owner: string, dialect: Dialect): boolean {
  if (EMAIL.test(owner)) return true;
  if (dialect === 'github') return GITHUB_USER.test(owner) || GITHUB_TEAM.test(owner);
  return GITLAB_NAME.test(owner) || GITLAB_ROLE.test(owner);
}

/** GitLab's dialect when some line is a section header (`[Name]`, `^[Name]`, `[Name][2] @owner`). */
export function detectDialect(text: string): Dialect {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[') || line.startsWith('^[')) {
      const m = SECTION_HEADER.exec(line);
      if (m && m[2]!.trim() !== '' && (m[4]!.trim() === '' || /^\s+[@\w]/.test(m[4]!))) return 'gitlab';
    }
  }
  return 'github';
}

interface Positioned {
  readonly owner: string;
  readonly line: number;
  readonly column: number;
}

interface Token {
  readonly text: string;
  /** 1-based column. */
  readonly column: number;
}

/** Splits a line at unescaped spaces and tabs; GitHub: an unescaped `#` starts a comment. */
function tokenizeLine(line: string, start: number, dialect: Dialect): { tokens: Token[]; commentColumn?: number } {
  const tokens: Token[] = [];
  let i = start;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    if (ch === '#' && dialect === 'github') return { tokens, commentColumn: i + 1 };
    const begin = i;
    let text = '';
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') {
      if (line[i] === '\\' && i + 1 < line.length) {
        text += line.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (line[i] === '#' && dialect === 'github') break;
      text += line[i++];
    }
    tokens.push({ text, column: begin + 1 });
    if (i < line.length && line[i] === '#' && dialect === 'github') return { tokens, commentColumn: i + 1 };
  }
  return { tokens };
}

/** Index of the first `ch` in `s` outside a `\` escape, or -1. */
function hasUnescaped(s: string, ch: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ch) return i;
  }
  return -1;
}

export function parseCodeowners(text: string, options: ParseOptions = {}): ParsedCodeowners {
  const file = options.file ?? 'CODEOWNERS';
  const dialect: Dialect = !options.dialect || options.dialect === 'auto' ? detectDialect(text) : options.dialect;
  const findings: OwnersFinding[] = [];
  const rules: CodeownersRule[] = [];
  const sections = new Map<string, { name: string; optional: boolean; approvals: number; line: number }>();
  sections.set('', { name: '', optional: false, approvals: 1, line: 0 });

  const report = (line: number, column: number, rule: OwnersFinding['rule'], message: string, severity: 'error' | 'warning' = 'error') =>
    findings.push({ file, line, column, rule, message, severity });

  const bytes = text.length * 3 < MAX_CODEOWNERS_BYTES ? 0 : new TextEncoder().encode(text).length;
  if (dialect === 'github' && bytes >= MAX_CODEOWNERS_BYTES) {
    report(1, 1, 'file-too-large', `CODEOWNERS files must be under 3 MB; GitHub does not load this one (${bytes} bytes).`);
    return { file, dialect, rules, sections: [{ key: '', name: '', optional: false, approvals: 1, line: 0 }], findings };
  }

  let sectionKey = '';
  let sectionDefaults: Positioned[] = [];
  // Editors on Windows may save a byte-order mark; it is not part of the first pattern.
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  const parseLine = (rawLine: string, at: number): void => {
    const lineNo = at + 1;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    let start = 0;
    while (start < line.length && (line[start] === ' ' || line[start] === '\t')) start++;
    if (start === line.length || line[start] === '#') return;

    if (dialect === 'gitlab' && (line[start] === '[' || (line[start] === '^' && line[start + 1] === '['))) {
      const header = SECTION_HEADER.exec(line.slice(start));
      if (header) {
        const [, caret, rawName, approvalsText, rest] = header;
        const name = rawName!.trim();
        if (name === '') {
          report(lineNo, start + 1, 'invalid-section', `Invalid section on line ${lineNo}: a section needs a name between [ and ].`);
          return;
        }
        let approvals = 1;
        if (approvalsText !== undefined) {
          if (!/^\d+$/.test(approvalsText.trim()) || Number(approvalsText) < 1) {
            report(lineNo, start + 1, 'invalid-section', `Invalid section on line ${lineNo}: the approval count [${approvalsText}] must be a whole number of at least 1.`);
          } else approvals = Number(approvalsText);
        }
        const restStart = start + header[0].length - rest!.length;
        const { tokens } = tokenizeLine(line, restStart, dialect);
        const defaults: Positioned[] = [];
        for (const t of tokens) {
          if (isValidOwner(t.text, dialect)) defaults.push({ owner: t.text, line: lineNo, column: t.column });
          else report(lineNo, t.column, 'invalid-owner', `Invalid owner on line ${lineNo}: \`${t.text}\` is not a @user, @group, @@role or email address.`);
        }
        const key = name.toLowerCase();
        const previous = sections.get(key);
        // Duplicate sections are combined; required wins over optional, the larger approval count wins.
        sections.set(key, previous
          ? { name: previous.name, optional: previous.optional && caret !== undefined, approvals: Math.max(previous.approvals, approvals), line: previous.line }
          : { name, optional: caret !== undefined, approvals, line: lineNo });
        sectionKey = key;
        sectionDefaults = defaults;
        return;
      }
    }

    const { tokens } = tokenizeLine(line, start, dialect);
    const [patternToken, ...ownerTokens] = tokens;
    if (patternToken === undefined) return; // only a comment after whitespace
    let pattern = patternToken.text;
    const column = patternToken.column;
    let exclusion = false;

    if (dialect === 'github') {
      const problem =
        githubPatternProblem(pattern) ??
        // `@a @b` is the pattern `@a` owned by @b, which GitHub flags; `@scope/pkg @x` may be a real directory.
        ((ownerTokens.length === 0 || GITHUB_USER.test(pattern)) && isValidOwner(pattern, 'github')
          ? { offset: 0, message: `\`${pattern}\` looks like an owner, but each line starts with a file pattern (for example \`* ${pattern}\`).` }
          : undefined);
      if (problem) {
        report(lineNo, column + problem.offset, 'invalid-pattern', `Invalid pattern on line ${lineNo}: ${problem.message}`);
        return;
      }
    } else {
      if (pattern.startsWith('!')) {
        exclusion = true;
        pattern = pattern.slice(1);
      }
      if (pattern === '' || pattern === '/') {
        report(lineNo, column, 'invalid-pattern', `Invalid pattern on line ${lineNo}: the pattern \`${patternToken.text}\` matches nothing.`);
        return;
      }
    }

    const owners: Positioned[] = [];
    let badOwner = false;
    let inComment = false;
    for (const t of ownerTokens) {
      if (dialect === 'gitlab' && t.text.startsWith('#')) {
        if (!inComment)
          report(lineNo, t.column, 'inline-comment', `Inline comment on line ${lineNo}: GitLab does not support comments after a pattern; owners written in it still count.`, 'warning');
        inComment = true;
        continue;
      }
      if (isValidOwner(t.text, dialect)) owners.push({ owner: t.text, line: lineNo, column: t.column });
      else if (!inComment) {
        badOwner = true;
        const kinds = dialect === 'github' ? '@username, @org/team-name or an email address' : '@user, @group, @@role or an email address';
        report(lineNo, t.column, 'invalid-owner', `Invalid owner on line ${lineNo}: \`${t.text}\` is not a ${kinds}.`);
      }
    }
    // GitHub skips a line with any invalid owner; GitLab drops only the invalid owner.
    if (badOwner && dialect === 'github') return;

    let effective = owners;
    let fromDefaults = false;
    if (dialect === 'gitlab' && owners.length === 0 && !exclusion) {
      if (sectionDefaults.length > 0) {
        effective = sectionDefaults;
        fromDefaults = true;
      } else if (!badOwner) {
        report(lineNo, column, 'missing-owner', `Missing owner on line ${lineNo}: \`${pattern}\` has no owners and its section has no default owners.`);
      }
    }
    rules.push({
      index: rules.length,
      line: lineNo,
      column,
      pattern,
      owners: effective.map((o) => o.owner),
      ownersAt: effective.map(({ line, column }) => ({ line, column })),
      section: dialect === 'gitlab' ? sectionKey : '',
      ...(fromDefaults && { defaultOwners: true }),
      ...(exclusion && { exclusion: true }),
    });
  };
  lines.forEach((rawLine, at) => {
    const rulesBefore = rules.length;
    const findingsBefore = findings.length;
    parseLine(rawLine, at);
    if (rules.length > rulesBefore) return;
    for (let i = findingsBefore; i < findings.length; i++) if (findings[i]!.severity === 'error') findings[i] = { ...findings[i]!, lineSkipped: true };
  });

  const sectionList: CodeownersSection[] = [...sections.entries()].map(([key, s]) => ({ key, ...s }));
  return { file, dialect, rules, sections: sectionList, findings };
}

/** GitHub's syntax exceptions to gitignore, with the reason a person can act on. */
function githubPatternProblem(pattern: string): { offset: number; message: string } | undefined {
  if (pattern.startsWith('!'))
    return { offset: 0, message: 'negation with `!` does not work in CODEOWNERS; write the paths that need other owners as later lines instead.' };
  if (pattern.startsWith('\\#'))
    return { offset: 0, message: 'escaping a pattern starting with `#` using `\\` does not work in CODEOWNERS; the line is skipped.' };
  // GitHub's own wording; `[ ]` ranges do not work, and literal brackets need escaping.
  const opening = hasUnescaped(pattern, '[');
  const closing = hasUnescaped(pattern, ']');
  if (opening >= 0 || closing >= 0)
    return { offset: opening >= 0 ? opening : closing, message: 'both `[` and `]` must be escaped with a `\\` (character ranges do not work in CODEOWNERS).' };
  const triple = pattern.indexOf('***');
  if (triple >= 0) return { offset: triple, message: `Did you mean \`${pattern.replace(/\*{3,}/g, '**')}\`?` };
  if (pattern === '/') return { offset: 0, message: 'The pattern `/` will never match anything, did you mean `*` instead?' };
  return undefined;
}
