/** Help text and "did you mean" suggestions; kept free of the engine so help is instant. */
import type { Command, OptionSpec } from './command.js';
import { didYouMean } from '@kiln/core/model';
import { commands } from './commands/index.js';

export function formatMainHelp(version: string): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    `kiln ${version}: a build orchestrator for monorepos`,
    '',
    'Usage: kiln <command> [options]',
    '       kiln PROJECT:TARGET      run one task (same as kiln run -t TARGET -p PROJECT)',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `kiln <command> --help` for a command\'s options.',
    'Exit codes: 0 success; 1 the work or check failed; 2 usage or configuration error.',
  ].join('\n');
}

export function formatHelp(command: Command, options: Record<string, OptionSpec>): string {
  const flags = Object.entries(options).map(([name, o]) => {
    const left = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return [left, o.description] as const;
  });
  const width = Math.max(...flags.map(([l]) => l.length));
  return [
    `kiln ${command.name}: ${command.summary}`,
    '',
    `Usage: ${command.usage}`,
    '',
    'Options:',
    ...flags.map(([l, d]) => `  ${l.padEnd(width)}  ${d}`),
    ...(command.details ? ['', command.details] : []),
  ].join('\n');
}

/** ` Did you mean "x"?` for the closest candidate, if one is plausibly a typo. */
export function suggest(wanted: string, candidates: readonly string[]): string {
  return didYouMean(wanted, candidates);
}
