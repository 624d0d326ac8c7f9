/**
 * `kiln completion bash|zsh|fish`: a completion script for the shell, and `kiln __complete`, the
 * hidden command those scripts call with the words typed so far. Commands come from the command
 * table, flags from each command's one option declaration, project and target names from core.
 */
import { commonOptions, ExitCode, usageError, type Command } from '../command.js';
import type { Output } from '../output.js';
import { commands } from './index.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;

export const command: Command = {
  name: 'completion',
  summary: 'print a shell completion script: bash, zsh or fish',
  usage: 'kiln completion bash|zsh|fish',
  subcommands: SHELLS,
  options: {},
  details: [
    'Completes commands, flags, subcommands, project names (-p, --exclude, --filter, kiln projects NAME),',
    'target names (-t) and PROJECT:TARGET tasks. Install:',
    '  bash: source <(kiln completion bash)          (e.g. in ~/.bashrc)',
    '  zsh:  source <(kiln completion zsh)           (after compinit, e.g. in ~/.zshrc)',
    '  fish: kiln completion fish > ~/.config/fish/completions/kiln.fish',
  ].join('\n'),
  async run(args, ctx) {
    const shell = args.positionals[0];
    if (shell === undefined || args.positionals.length > 1) throw await usageError('usage', 'usage: kiln completion bash|zsh|fish', 'e.g. source <(kiln completion bash)');
    ctx.out.print(SCRIPTS[shell as (typeof SHELLS)[number]]);
    return ExitCode.ok;
  },
};

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

const BASH = `# kiln completion for bash: source <(kiln completion bash)
_kiln() {
  local i w words=()
  # bash splits words at ':' (COMP_WORDBREAKS): join PROJECT:TARGET back together.
  for ((i = 1; i <= COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ \${#words[@]} -gt 0 && ( "$w" == ":" || "\${words[\${#words[@]}-1]}" == *: ) ]]; then
      words[\${#words[@]}-1]+="$w"
    else
      words+=("$w")
    fi
  done
  local cur="\${words[\${#words[@]}-1]}"
  local IFS=$'\\n'
  COMPREPLY=($(compgen -W "$(kiln __complete -- "\${words[@]}" 2>/dev/null)" -- "$cur"))
  if [[ "$cur" == *:* && "$COMP_WORDBREAKS" == *:* ]]; then
    local colon="\${cur%"\${cur##*:}"}"
    COMPREPLY=("\${COMPREPLY[@]#"$colon"}")
  fi
}
complete -o default -F _kiln kiln`;

const ZSH = `#compdef kiln
# kiln completion for zsh: source <(kiln completion zsh), after compinit
_kiln() {
  local -a candidates
  candidates=("\${(@f)$(kiln __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=("\${(@)candidates:#}")
  if (( \${#candidates} )); then
    compadd -Q -- "\${(@)candidates}"
  else
    _files
  fi
}
compdef _kiln kiln`;

const FISH = `# kiln completion for fish: kiln completion fish > ~/.config/fish/completions/kiln.fish
function __kiln_complete
    set -l tokens (commandline -opc) (commandline -ct)
    kiln __complete -- $tokens[2..-1] 2>/dev/null
end
complete -c kiln -f -a '(__kiln_complete)'`;

const SCRIPTS: Record<(typeof SHELLS)[number], string> = { bash: BASH, zsh: ZSH, fish: FISH };
