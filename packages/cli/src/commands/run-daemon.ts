/**
 * `kiln run`'s fast path through the workspace's daemon: it knows from its watches whether the
 * request's run manifest still holds, so a fully cached run costs this process a socket round
 * trip (no git status, no stat walk, no engine). Tasks still run here (stdout, signals and env
 * are this process's). Any other answer, or none, leaves the decision to the CLI's own check.
 */
import type { RunCheckAnswer } from '@kiln/core/api/daemon-client';
import type { FastRunCheck, ManifestRequest } from '@kiln/core/api/run-manifest';
import type { CommandContext } from '../command.js';
import { buildIdentity } from '../version.js';

/** The daemon's "every task is cached" (the tasks to replay), or undefined: the CLI checks itself. `say` gets the --verbose line. */
export async function fastPathFromDaemon(
  request: ManifestRequest,
  ctx: CommandContext,
  say: ((line: string) => void) | undefined,
): Promise<Extract<FastRunCheck, { ok: true }> | undefined> {
  const { askWorkspaceDaemon } = await import('@kiln/core/api/daemon-client');
  const { cwd, ...args } = request;
  const asked = await askWorkspaceDaemon({ cwd, env: ctx.env, op: 'run-check', args, version: buildIdentity(), bin: process.argv[1]! });
  if (asked.kind !== 'answer') {
    say?.(`daemon: ${asked.kind === 'error' ? 'answered with an error' : asked.reason}; checking directly`);
    return undefined;
  }
  const check = asked.value as RunCheckAnswer;
  const from = asked.source === 'memory' ? 'from memory (nothing it vouches for changed)' : 'by the daemon, checked now';
  if (!check.ok) {
    say?.(`daemon: the fast path does not hold (${check.reason}), answered ${from}; running directly`);
    return undefined;
  }
  say?.(`daemon: answered ${from}${check.unkept ? `; not kept: ${check.unkept}` : ''}`);
  return { ok: true, env: check.env, tasks: check.tasks.map(({ log, encoding, ...t }) => ({ ...t, log: Buffer.from(log, encoding ?? 'utf8') })) };
}
