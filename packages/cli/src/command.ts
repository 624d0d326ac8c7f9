/**
 * The shape of a command: its options (for parsing and for --help) and what it does.
 * Options are declared once here and drive both `node:util` parseArgs and the help text.
 */
import type { Output } from './output.js';
import type { DiagnosticCode } from '@kiln/core/model';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  readonly description: string;
  /** Placeholder shown in help, e.g. `REF`. */
  readonly value?: string;
}

export interface CommandContext {
  readonly out: Output;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
  /** What followed `--`, for a command that forwards it (`forwardsArgs`). */
  readonly forwarded?: readonly string[];
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** e.g. `kiln affected [--base REF] [-t TARGET]` */
  readonly usage: string;
  readonly options: Record<string, OptionSpec>;
  /** Extra help: exit codes, examples. */
  readonly details?: string;
  /** Subcommands, for `kiln owners who`. */
  readonly subcommands?: readonly string[];
  readonly allowPositionals?: boolean;
  /** Arguments after `--` are not parsed but handed on (`kiln run … -- --watch` forwards them to the tasks). */
  readonly forwardsArgs?: boolean;
  /** Rewrites the command's arguments before parsing (aliases parseArgs cannot express, e.g. turbo's `--dry[=json]`). */
  readonly normalizeArgs?: (argv: readonly string[]) => string[];
  run(args: ParsedArgs, ctx: CommandContext): Promise<number>;
}

/** Exit codes, the same for every command (documented in README.md). */
export const ExitCode = {
  ok: 0,
  /** The work or check failed: a task failed, an approval is missing, lint found something. */
  failed: 1,
  /** Usage or configuration error: nothing was done. */
  usage: 2,
} as const;

/** Options every command accepts. */
export const commonOptions: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'show help for this command' },
  cwd: { type: 'string', value: 'DIR', description: 'run as if started in DIR' },
  verbose: { type: 'boolean', description: 'say more about how the answer was found (e.g. by the daemon, or why not)' },
};

export const jsonOption: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print one JSON document on stdout (human output goes to stderr)' },
};

export function stringOpt(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[v.length - 1] : undefined;
}

/** A comma-separated or repeated option as a list: `-p a,b -p c` → `[a, b, c]`. */
export function listOpt(args: ParsedArgs, name: string): string[] | undefined {
  const v = args.values[name];
  if (v === undefined || typeof v === 'boolean') return undefined;
  const all = (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(','));
  return all.map((s) => s.trim()).filter((s) => s !== '');
}

export function boolOpt(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/**
 * The error a command throws for a bad option (exit code 2). The core model loads only when one is
 * raised: `kiln run`'s fast path never needs it.
 */
export async function usageError(code: DiagnosticCode, message: string, hint?: string): Promise<Error> {
  const { diagnostic, KilnError } = await import('@kiln/core/model');
  return new KilnError(diagnostic(code, message, hint === undefined ? {} : { hint }));
}
