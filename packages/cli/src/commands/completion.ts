/** `kiln completion bash|zsh|fish`: a completion script for the shell; each calls `kiln __complete` (complete.ts) with the words typed so far. */
import { ExitCode, usageError, type Command } from '../command.js';

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
