/**
 * The entry point: picks the command, parses its options, runs it, and maps errors to exit codes.
 * Loads a command's module (and so the engine) only when that command runs.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ExitCode, commonOptions, type Command, type CommandContext, type ParsedArgs } from './command.js';
import { commands } from './commands/index.js';
import { foreignFlagHint, foreignFlagNamesFor, renameForeignFlags } from './flag-aliases.js';
import { createOutput, type Output } from './output.js';
import { version } from './version.js';
import type { Diagnostic } from '@kiln/core/model';

/** Help and suggestions, loaded only when printed (they pull in the command table's details and the core model). */
const help = () => import('./help.js');

export async function main(argv: string[]): Promise<number> {
  const out = createOutput();
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v' || first === 'version') {
    out.print(version());
    return ExitCode.ok;
  }
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    if (first === 'help' && rest[0]) return main([rest[0], '--help']);
    out.print((await help()).formatMainHelp(version()));
    return first === undefined ? ExitCode.usage : ExitCode.ok;
  }
  // The hidden command the completion scripts call (see complete.ts).
  if (first === '__complete') return (await import('./complete.js')).complete(rest, out, process.cwd());
  let name = first;
  let task: string | undefined;
  // `kiln PROJECT:TARGET` is shorthand for `kiln run -t TARGET -p PROJECT`; the task id is read
  // once the workspace is known (a project name may hold `:` too).
  if (!(name in commands) && !name.startsWith('-') && (await import('@kiln/core/api/task-id')).taskIdReadings(name).length > 0) {
    task = name;
    name = 'run';
  }
  const entry = commands[name];
  if (!entry) {
    out.error(`unknown command "${first}".${(await help()).suggest(first, Object.keys(commands))}\n  Run \`kiln --help\` to see every command.`);
    return ExitCode.usage;
  }
  const command = await entry.load();
  return runCommand(command, rest, out, task);
}

/** Runs `command` with `argv`; `task` is the `kiln PROJECT:TARGET` shorthand's task, run as `-p PROJECT -t TARGET` ahead of `argv`'s. */
export async function runCommand(command: Command, argv: string[], out: Output, task?: string): Promise<number> {
  if (command.normalizeArgs) argv = command.normalizeArgs(argv);
  const options = { ...commonOptions, ...command.options };
  let parsed: ParsedArgs;
  const cut = command.forwardsArgs ? argv.indexOf('--') : -1;
  try {
    const { values, positionals } = parseArgs({
      args: renameForeignFlags(cut < 0 ? argv : argv.slice(0, cut), options),
      options: Object.fromEntries(
        Object.entries(options).map(([k, o]) => [k, { type: o.type, ...(o.short && { short: o.short }), ...(o.multiple && { multiple: true }) }]),
      ),
      allowPositionals: Boolean(command.allowPositionals || command.subcommands),
      strict: true,
    });
    parsed = { values: values as ParsedArgs['values'], positionals, ...(cut >= 0 && { forwarded: argv.slice(cut + 1) }) };
  } catch (error) {
    const message = await usageProblem(error, options);
    out.error(`${message}\n  Run \`kiln ${command.name} --help\` for its options.`);
    if (argv.includes('--json')) out.json({ error: { code: 'usage', message, hint: `Run \`kiln ${command.name} --help\` for its options.` } });
    return ExitCode.usage;
  }
  if (parsed.values.help) {
    out.print((await help()).formatHelp(command, options));
    return ExitCode.ok;
  }
  if (command.subcommands && parsed.positionals[0] !== undefined && !command.subcommands.includes(parsed.positionals[0])) {
    out.error(
      `unknown subcommand "${parsed.positionals[0]}" of "kiln ${command.name}".${(await help()).suggest(parsed.positionals[0], command.subcommands)}\n  Subcommands: ${command.subcommands.join(', ')}.`,
    );
    return ExitCode.usage;
  }
  const cwdOpt = parsed.values.cwd;
  const ctx: CommandContext = { out, cwd: resolve(typeof cwdOpt === 'string' ? cwdOpt : process.cwd()), env: process.env };
  // Commands resolve the user's paths against ctx.cwd; the process itself works from the workspace root.
  const { enterWorkspace } = await import('@kiln/core/api/enter-workspace');
  enterWorkspace(ctx.cwd);
  try {
    return await command.run(task === undefined ? parsed : await withTask(parsed, ctx.cwd, task), ctx);
  } catch (error) {
    return reportError(error, out, parsed.values.json === true);
  }
}

/** `parsed` with the shorthand's task read (by core's rules, against the workspace when it must) and put first in `-p` and `-t`. */
async function withTask(parsed: ParsedArgs, cwd: string, spec: string): Promise<ParsedArgs> {
  const { resolveTask } = await import('@kiln/core/api/task-id');
  const { project, target } = await resolveTask(cwd, spec);
  const list = (v: ParsedArgs['values'][string]): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);
  return { ...parsed, values: { ...parsed.values, projects: [project, ...list(parsed.values.projects)], target: [target, ...list(parsed.values.target)] } };
}

/**
 * Errors the engine raises on purpose carry diagnostics and an exit code; anything else is a bug.
 * With --json the error is also the one JSON document on stdout: `{"error":{code,message,file?,line?,column?,hint?}}`
 * for the first diagnostic, and `errors` with all of them when there are several.
 */
function reportError(error: unknown, out: Output, json: boolean): number {
  const e = error as { name?: string; message?: string; exitCode?: number; stack?: string; diagnostics?: readonly Diagnostic[] };
  if (e && e.name === 'KilnError') {
    out.error(e.message ?? String(error));
    const all = (e.diagnostics ?? []).map(errorJson);
    if (json) out.json({ error: all[0] ?? { code: 'error', message: e.message ?? String(error) }, ...(all.length > 1 && { errors: all }) });
    return e.exitCode ?? ExitCode.usage;
  }
  out.error(`internal error: ${e?.stack ?? String(error)}\n  This is a bug in kiln; please report it with the command you ran.`);
  if (json) out.json({ error: { code: 'internal', message: e?.message ?? String(error) } });
  return 70;
}

function errorJson(d: Diagnostic): Record<string, unknown> {
  return { code: d.code, message: d.message, ...(d.location && { file: d.location.file, ...(d.location.line !== undefined && { line: d.location.line }), ...(d.location.column !== undefined && { column: d.location.column }) }), ...(d.hint !== undefined && { hint: d.hint }) };
}

async function usageProblem(error: unknown, options: Record<string, unknown>): Promise<string> {
  const e = error as { code?: string; message?: string };
  const message = e.message ?? String(error);
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(message)?.[1] ?? '';
    const bare = flag.replace(/^-+/, '').split('=')[0] ?? '';
    const { nearest } = await import('@kiln/core/model');
    // A typo of an Nx or turbo name (`--concurency`) is answered as that name.
    const near = nearest(bare, [...Object.keys(options), ...foreignFlagNamesFor(options)]);
    const typo = near === undefined ? '' : ` Did you mean "--${near}"?`;
    const hint = foreignFlagHint(bare, options) ?? (near !== undefined && near in options ? typo : `${typo}${(near && foreignFlagHint(near, options)) ?? ''}`);
    return `unknown option "${flag}".${hint}`;
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument: ${message.replace(/^Unexpected argument '([^']+)'.*$/s, '$1')}`;
  return message.replace(/\. To specify an option argument starting with a dash.*$/s, '.');
}

export { version } from './version.js';
