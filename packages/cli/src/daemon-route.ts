/**
 * The one place a command decides between the daemon and its own process: it asks the
 * workspace's daemon (`@kiln/core/api/daemon-client` holds the rule), and on any doubt answers
 * directly. With --verbose it says which, and why.
 */
import { boolOpt, type CommandContext, type ParsedArgs } from './command.js';
import { buildIdentity } from './version.js';

export async function answered<T>(ctx: CommandContext, args: ParsedArgs, op: string, request: unknown, direct: () => Promise<T>): Promise<T> {
  const { askWorkspaceDaemon } = await import('@kiln/core/api/daemon-client');
  const asked = await askWorkspaceDaemon({ cwd: ctx.cwd, env: ctx.env, op, args: request, version: buildIdentity(), bin: process.argv[1]! });
  const verbose = boolOpt(args, 'verbose');
  switch (asked.kind) {
    case 'answer':
      if (verbose) ctx.out.info(`daemon: answered ${asked.source === 'memory' ? 'from memory (nothing changed since it was computed)' : 'by the daemon, computed now'}`);
      return asked.value as T;
    case 'error': {
      if (verbose) ctx.out.info('daemon: answered by the daemon, with an error');
      const { KilnError } = await import('@kiln/core/model');
      throw new KilnError(asked.diagnostics, asked.exitCode);
    }
    default:
      if (verbose) ctx.out.info(`daemon: ${asked.reason}; answering directly`);
      return direct();
  }
}
