/**
 * `kiln __complete -- WORD...`, the hidden command the completion scripts (commands/completion.ts)
 * call: commands from the command table, flags from each command's one option declaration,
 * project, tag and target names from core (api/complete.ts).
 */
import { commonOptions, ExitCode } from './command.js';
import { commands } from './commands/index.js';
import type { Output } from './output.js';

/** Options whose value is a project, a target, or a folder. */
const PROJECT_OPTIONS = new Set(['projects', 'exclude', 'filter']);

/** `kiln __complete -- WORD...`: the candidates for the last word (the shell filters them by what is typed). */
export async function complete(argv: readonly string[], out: Output, cwd: string): Promise<number> {
  const words = argv[0] === '--' ? argv.slice(1) : argv;
  const cur = words[words.length - 1] ?? '';
  const print = (list: readonly string[]): number => {
    if (list.length > 0) out.print(list.join('\n'));
    return ExitCode.ok;
  };
  const { completionNames } = await import('@kiln/core/api/complete');
  if (words.length <= 1) {
    if (cur.includes(':')) return print(await completionNames(cwd, 'tasks'));
    return print([...Object.keys(commands), 'help', '--help', '--version']);
  }
  const entry = commands[words[0]!];
  if (!entry) return ExitCode.ok;
  const cmd = await entry.load();
  const options = { ...commonOptions, ...cmd.options };
  const optionOf = (word: string | undefined): string | undefined => {
    if (word === undefined) return undefined;
    if (word.startsWith('--')) return word.slice(2) in options ? word.slice(2) : undefined;
    if (/^-[a-zA-Z]$/.test(word)) return Object.keys(options).find((k) => options[k]!.short === word.slice(1));
    return undefined;
  };
  const prev = optionOf(words[words.length - 2]);
  if (prev !== undefined && options[prev]!.type === 'string') {
    if (PROJECT_OPTIONS.has(prev)) return print([...(await completionNames(cwd, 'projects')), ...(prev === 'filter' ? [] : await completionNames(cwd, 'tags'))]);
    if (prev === 'target') return print(await completionNames(cwd, 'targets'));
    return ExitCode.ok; // a folder, a ref, a number: the shell's own completion
  }
  if (cur.startsWith('-')) return print(Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]));
  const positionals = words.slice(1, -1).filter((w, i, all) => !w.startsWith('-') && !(optionOf(all[i - 1]) && options[optionOf(all[i - 1])!]!.type === 'string'));
  if (cmd.subcommands && positionals.length === 0) return print(cmd.subcommands);
  if (cmd.name === 'projects' || (cmd.name === 'graph' && positionals.length === 0)) return print(await completionNames(cwd, 'projects'));
  return ExitCode.ok;
}
