/**
 * `kiln owners who|check|lint|generate`: CODEOWNERS as GitHub (or GitLab) reads it.
 * Formatting lives here; what the answers are is decided in @kiln/core's owners module.
 */
import { ExitCode, boolOpt, jsonOption, listOpt, stringOpt, type Command, type CommandContext, type ParsedArgs } from '../command.js';

const SUBCOMMANDS = ['who', 'check', 'lint', 'generate'] as const;

export const command: Command = {
  name: 'owners',
  summary: 'who owns a path, who must approve a change, lint and generate CODEOWNERS',
  usage: [
    'kiln owners who PATH... [--codeowners FILE] [--dialect github|gitlab] [--explain] [--json]',
    '       kiln owners who --stdin [-z] [--codeowners FILE] [--dialect github|gitlab] [--explain] [--json]',
    '       kiln owners check [--base REF] [--head REF] [--approved-by @a,@b] [--author @x] [--json] [--format markdown]',
    '       kiln owners lint [--json] [--format markdown]',
    '       kiln owners generate [--check]',
  ].join('\n'),
  subcommands: SUBCOMMANDS,
  options: {
    ...jsonOption,
    codeowners: { type: 'string', value: 'FILE', description: 'use this CODEOWNERS file (default: .github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS, first found)' },
    dialect: { type: 'string', value: 'github|gitlab', description: "whose rules to follow (default: gitlab when the file has [Section] headers or is in .gitlab/)" },
    explain: { type: 'boolean', description: 'who: show the line that decided each path' },
    stdin: { type: 'boolean', description: 'who: read the paths from stdin, one a line (after any given as arguments), for more than a command line holds' },
    null: { type: 'boolean', short: 'z', description: 'who --stdin: the paths are separated by NUL, as `git ls-files -z` prints them (names may hold newlines)' },
    base: { type: 'string', value: 'REF', description: 'check: compare with the merge-base of REF (default: KILN_BASE, nx.json defaultBase, main)' },
    head: { type: 'string', value: 'REF', description: 'check: the change ends at REF (default: the working tree, untracked files included)' },
    'approved-by': { type: 'string', multiple: true, value: '@a,@b', description: 'check: who has approved' },
    author: { type: 'string', value: '@x', description: "check: the change's author (their own approval does not count)" },
    format: { type: 'string', value: 'text|markdown', description: 'check, lint: markdown prints a summary for a pull-request comment' },
    check: { type: 'boolean', description: 'generate: fail when CODEOWNERS is out of date instead of writing it' },
  },
  details: [
    'Exit codes: 0 ok; 1 an approval is missing (check), lint found something (lint), or CODEOWNERS is out of date (generate --check); 2 usage or configuration error.',
    'With GITHUB_ACTIONS=true, problems are also printed as ::error annotations.',
  ].join('\n'),
  async run(args, ctx) {
    const sub = args.positionals[0];
    switch (sub) {
      case 'who':
        return who(args, ctx);
      case 'check':
        return check(args, ctx);
      case 'lint':
        return lint(args, ctx);
      case 'generate':
        return generate(args, ctx);
      default:
        ctx.out.error(`kiln owners needs a subcommand: ${SUBCOMMANDS.join(', ')}.\n  Example: kiln owners who src/index.ts`);
        return ExitCode.usage;
    }
  },
};

function dialectOpt(args: ParsedArgs, ctx: CommandContext): 'github' | 'gitlab' | undefined | null {
  const d = stringOpt(args, 'dialect');
  if (d === undefined || d === 'github' || d === 'gitlab') return d;
  ctx.out.error(`--dialect must be github or gitlab, not "${d}".`);
  return null;
}

function formatOpt(args: ParsedArgs, ctx: CommandContext): 'text' | 'markdown' | null {
  const f = stringOpt(args, 'format') ?? 'text';
  if (f === 'text' || f === 'markdown') return f;
  ctx.out.error(`--format must be text or markdown, not "${f}".`);
  return null;
}

/** `@alice` stays, `alice` becomes `@alice`, emails stay. */
function handle(s: string): string {
  return s.includes('@') ? s : `@${s}`;
}

/** The path column's width, at most 60. A loop, not Math.max(...): a spread of 200,000 paths overflows the stack. */
function columnWidth(lengths: readonly number[]): number {
  let width = 0;
  for (const n of lengths) if (n > width) width = n;
  return Math.min(60, width);
}

const inGitHubActions = (ctx: CommandContext) => ctx.env.GITHUB_ACTIONS === 'true';

/** A GitHub workflow command; on stderr when stdout carries JSON. */
function annotate(
  ctx: CommandContext,
  json: boolean,
  props: { file?: string; line?: number; col?: number; title?: string },
  message: string,
  level: 'error' | 'warning' = 'error',
): void {
  const prop = (v: string) => v.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');
  const data = message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const parts = Object.entries(props)
    .filter(([, v]) => v !== undefined && v !== 0)
    .map(([k, v]) => `${k}=${prop(String(v))}`);
  const line = `::${level}${parts.length ? ` ${parts.join(',')}` : ''}::${data}`;
  if (json) ctx.out.info(line);
  else ctx.out.print(line);
}

/**
 * The paths given on stdin: one a line (a trailing CR dropped, as from a CRLF file), or with `-z`
 * NUL-separated and taken byte for byte. Empty entries are skipped, so a final separator is optional.
 */
export function stdinPaths(text: string, nulSeparated: boolean): string[] {
  const entries = nulSeparated ? text.split('\0') : text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  return entries.filter((p) => p !== '');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function who(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const fromStdin = boolOpt(args, 'stdin');
  if (boolOpt(args, 'null') && !fromStdin) {
    ctx.out.error('-z says how the paths on stdin are separated; it needs --stdin.\n  Example: git ls-files -z | kiln owners who --stdin -z --json');
    return ExitCode.usage;
  }
  const dialect = dialectOpt(args, ctx);
  if (dialect === null) return ExitCode.usage;
  let paths = args.positionals.slice(1);
  if (fromStdin) paths = paths.concat(stdinPaths(await readStdin(), boolOpt(args, 'null')));
  else if (paths.length === 0) {
    ctx.out.error('kiln owners who needs at least one PATH, or --stdin.\n  Example: kiln owners who src/index.ts docs/\n           git ls-files -z | kiln owners who --stdin -z');
    return ExitCode.usage;
  }
  const { ownersWho } = await import('@kiln/core/api/owners-who');
  const codeowners = stringOpt(args, 'codeowners');
  const { loaded, results } = await ownersWho(ctx.cwd, paths, { ...(codeowners && { codeowners }), ...(dialect && { dialect }) });
  const explain = boolOpt(args, 'explain');
  for (const f of loaded.matcher.parsed.findings) if (f.severity === 'error') ctx.out.warn(`${f.file}:${f.line}:${f.column}: ${f.message}${f.lineSkipped ? ' (line skipped)' : ''}`);

  const sectionName = (key: string) => loaded.matcher.parsed.sections.find((s) => s.key === key)?.name || '(default)';
  if (boolOpt(args, 'json')) {
    const doc: Record<string, unknown> = {};
    for (const r of results)
      doc[r.path] = explain
        ? {
            owners: r.owners,
            rules: r.matches.map((m) => ({
              file: loaded.file,
              line: m.rule.line,
              pattern: m.rule.pattern,
              owners: m.rule.owners,
              ...(loaded.matcher.parsed.dialect === 'gitlab' && { section: sectionName(m.section) }),
            })),
          }
        : r.owners;
    ctx.out.json(doc);
    return ExitCode.ok;
  }
  const width = columnWidth(results.map((r) => r.path.length + (r.directory ? 1 : 0)));
  for (const r of results) {
    const shown = `${r.path || '.'}${r.directory && r.path ? '/' : ''}`;
    const owners = r.owners.length ? r.owners.join(' ') : ctx.out.style('dim', '(unowned)');
    ctx.out.print(`${shown.padEnd(width)}  ${owners}`);
    if (explain) {
      if (r.matches.length === 0) ctx.out.print(ctx.out.style('dim', `  no line of ${loaded.file} matches`));
      for (const m of r.matches) {
        const section = loaded.matcher.parsed.dialect === 'gitlab' ? ` [${sectionName(m.section)}]` : '';
        const why = m.rule.owners.length === 0 ? ' (no owners: unowned)' : m.rule.defaultOwners ? ' (section default owners)' : '';
        ctx.out.print(ctx.out.style('dim', `  ${loaded.file}:${m.rule.line}${section}  ${m.rule.pattern}${why}`));
      }
    }
  }
  return ExitCode.ok;
}

async function check(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  if (args.positionals.length > 1) {
    ctx.out.error(`kiln owners check takes no paths (got "${args.positionals[1]}"); it reads the change from git.\n  Use --base and --head to choose the change.`);
    return ExitCode.usage;
  }
  const dialect = dialectOpt(args, ctx);
  const format = formatOpt(args, ctx);
  if (dialect === null || format === null) return ExitCode.usage;
  const { ownersCheck } = await import('@kiln/core/api/owners');
  const codeowners = stringOpt(args, 'codeowners');
  const base = stringOpt(args, 'base');
  const head = stringOpt(args, 'head');
  const author = stringOpt(args, 'author');
  const result = await ownersCheck(ctx.cwd, {
    ...(codeowners && { codeowners }),
    ...(dialect && { dialect }),
    ...(base && { base }),
    ...(head && { head }),
    ...(author && { author: handle(author) }),
    approvedBy: (listOpt(args, 'approved-by') ?? []).map(handle),
    env: ctx.env,
  });
  for (const w of result.warnings) ctx.out.warn(w);
  for (const f of result.findings) if (f.severity === 'error') ctx.out.warn(`${f.file}:${f.line}:${f.column}: ${f.message}${f.lineSkipped ? ' (line skipped)' : ''}`);
  const json = boolOpt(args, 'json');
  if (inGitHubActions(ctx))
    for (const g of result.groups)
      if (!g.optional && !g.satisfied)
        annotate(ctx, json, { file: g.files[0]!, title: 'Code owner approval missing' }, `${describeGroup(g)} must approve: ${g.files.join(', ')}`);

  if (json) {
    const { warnings: _warnings, findings: _findings, ...doc } = result;
    void _warnings;
    void _findings;
    ctx.out.json(doc);
  } else if (format === 'markdown') ctx.out.print(checkMarkdown(result));
  else printCheck(result, ctx);
  return result.satisfied ? ExitCode.ok : ExitCode.failed;
}

type CheckResult = Awaited<ReturnType<typeof import('@kiln/core/api/owners').ownersCheck>>;
type Group = CheckResult['groups'][number];

function describeGroup(g: Group): string {
  const who = g.owners.length === 1 ? g.owners[0]! : `one of ${g.owners.join(', ')}`;
  const count = g.approvals > 1 ? `${g.approvals} of ${g.owners.join(', ')}` : who;
  return g.section ? `[${g.section}] ${count}` : count;
}

function printCheck(result: CheckResult, ctx: CommandContext): void {
  const { out } = ctx;
  const files = Object.keys(result.files);
  out.print(`${files.length} changed file${files.length === 1 ? '' : 's'} since ${result.base.slice(0, 12)}${result.head ? ` up to ${result.head.slice(0, 12)}` : ' (working tree)'}; owners from ${result.codeowners.file}${result.codeowners.ref ? ` at ${result.codeowners.ref.slice(0, 12)}` : ''}`);
  if (files.length === 0) return;
  const width = columnWidth(files.map((f) => f.length));
  for (const f of files) out.print(`  ${f.padEnd(width)}  ${result.files[f]!.length ? result.files[f]!.join(' ') : out.style('dim', '(unowned)')}`);
  if (result.groups.length === 0) {
    out.print('No code owner approval is required.');
    return;
  }
  out.print('Approvals:');
  for (const g of result.groups) {
    const mark = g.optional ? out.style('dim', '-') : g.satisfied ? out.style('green', '✓') : out.style('red', '✗');
    const state = g.optional ? ' (optional)' : g.satisfied ? ` (approved by ${g.approvedBy.join(', ')})` : g.approvedBy.length ? ` (${g.approvedBy.length} of ${g.approvals}: ${g.approvedBy.join(', ')})` : '';
    out.print(`  ${mark} ${describeGroup(g)}${state}  ${out.style('dim', `${g.files.length} file${g.files.length === 1 ? '' : 's'}`)}`);
  }
  out.print(result.satisfied ? out.style('green', 'All required code owner approvals are in.') : out.style('red', `${result.missing.length} required approval${result.missing.length === 1 ? ' is' : 's are'} missing.`));
}

function checkMarkdown(result: CheckResult): string {
  const lines = ['### Code owners', ''];
  const files = Object.keys(result.files);
  if (result.groups.length === 0) {
    lines.push(`No code owner approval is required for the ${files.length} changed file${files.length === 1 ? '' : 's'}.`);
    return lines.join('\n');
  }
  lines.push(result.satisfied ? '✅ All required code owner approvals are in.' : `❌ ${result.missing.length} required approval${result.missing.length === 1 ? ' is' : 's are'} missing.`, '');
  lines.push('| | Owners | Files |', '|---|---|---|');
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  for (const g of result.groups) {
    const mark = g.optional ? '➖ optional' : g.satisfied ? `✅ ${g.approvedBy.join(', ')}` : '❌ missing';
    const shown = g.files.slice(0, 5).map((f) => `\`${cell(f)}\``);
    if (g.files.length > 5) shown.push(`and ${g.files.length - 5} more`);
    lines.push(`| ${mark} | ${cell(describeGroup(g))} | ${shown.join(', ')} |`);
  }
  if (result.unowned.length) lines.push('', `${result.unowned.length} changed file${result.unowned.length === 1 ? ' has' : 's have'} no code owner.`);
  return lines.join('\n');
}

async function lint(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  if (args.positionals.length > 1) {
    ctx.out.error(`kiln owners lint takes no paths (got "${args.positionals[1]}").\n  Use --codeowners FILE to lint another file.`);
    return ExitCode.usage;
  }
  const dialect = dialectOpt(args, ctx);
  const format = formatOpt(args, ctx);
  if (dialect === null || format === null) return ExitCode.usage;
  const { ownersLint } = await import('@kiln/core/api/owners-lint');
  const codeowners = stringOpt(args, 'codeowners');
  const result = await ownersLint(ctx.cwd, { ...(codeowners && { codeowners }), ...(dialect && { dialect }) });
  const json = boolOpt(args, 'json');
  if (inGitHubActions(ctx))
    for (const f of result.findings)
      annotate(ctx, json, { file: f.file, line: f.line, col: f.column, title: `CODEOWNERS ${f.rule}` }, f.message, f.severity);
  if (json) {
    ctx.out.json({
      findings: result.findings.map(({ file, line, column, rule, message }) => ({ file, line, column, rule, message })),
      ...(result.coverage && { coverage: result.coverage }),
    });
  } else if (format === 'markdown') ctx.out.print(lintMarkdown(result));
  else {
    const { out } = ctx;
    for (const f of result.findings) {
      const where = f.line > 0 ? `${f.file}:${f.line}:${f.column}` : f.file;
      out.print(`${where}  ${f.severity === 'error' ? out.style('red', 'error') : out.style('yellow', 'warning')}  ${out.style('dim', f.rule)}  ${f.message}`);
    }
    if (result.coverage) out.print(`Coverage: ${result.coverage.percent}% of ${result.coverage.files} files have an owner.`);
    out.print(result.findings.length === 0 ? out.style('green', `${result.file}: no problems found.`) : `${result.findings.length} finding${result.findings.length === 1 ? '' : 's'} in ${result.file}.`);
  }
  return result.findings.length === 0 ? ExitCode.ok : ExitCode.failed;
}

type LintResult = Awaited<ReturnType<typeof import('@kiln/core/api/owners-lint').ownersLint>>;

function lintMarkdown(result: LintResult): string {
  const lines = ['### CODEOWNERS lint', ''];
  if (result.coverage) lines.push(`Coverage: **${result.coverage.percent}%** of ${result.coverage.files} files have an owner.`, '');
  if (result.findings.length === 0) {
    lines.push(`✅ No problems found in \`${result.file}\`.`);
    return lines.join('\n');
  }
  lines.push(`❌ ${result.findings.length} finding${result.findings.length === 1 ? '' : 's'}:`, '', '| Where | Rule | Message |', '|---|---|---|');
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  for (const f of result.findings) lines.push(`| \`${f.line > 0 ? `${f.file}:${f.line}` : f.file}\` | ${f.rule} | ${cell(f.message)} |`);
  return lines.join('\n');
}

async function generate(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  if (args.positionals.length > 1) {
    ctx.out.error(`kiln owners generate takes no arguments (got "${args.positionals[1]}").\n  The output path is nx.json "owners.outputPath".`);
    return ExitCode.usage;
  }
  const { ownersGenerate } = await import('@kiln/core/api/owners-generate');
  const checkOnly = boolOpt(args, 'check');
  const result = await ownersGenerate(ctx.cwd, { check: checkOnly });
  if (boolOpt(args, 'json')) ctx.out.json({ file: result.file, upToDate: result.upToDate, written: result.written });
  else if (result.upToDate) ctx.out.print(`${result.file} is up to date.`);
  else if (result.written) ctx.out.print(`wrote ${result.file}`);
  else ctx.out.error(`${result.file} is out of date with the owners settings in nx.json and project.json.\n  Run \`kiln owners generate\` and commit the result.`);
  if (!result.upToDate && checkOnly && inGitHubActions(ctx)) annotate(ctx, boolOpt(args, 'json'), { file: result.file, title: 'CODEOWNERS out of date' }, 'Run `kiln owners generate` and commit the result.');
  return checkOnly && !result.upToDate ? ExitCode.failed : ExitCode.ok;
}
