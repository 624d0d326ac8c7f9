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

/**
 * How long `kiln run` waits for the daemon's verdict. A kept one comes in a few dozen milliseconds
 * (1,000 tasks' logs included); past this the daemon is busy (its first check after a build of
 * 1,000 projects sets some 7,000 watches and stats 54,000 files, a second or more under load, or
 * another question is ahead of it), and checking here is sooner. The daemon finishes its check
 * anyway and keeps the verdict for the next run.
 */
const RUN_CHECK_WAIT_MS = 150;

/** The bound: KILN_DAEMON_RUN_WAIT_MS (milliseconds) sets another. */
function waitFor(env: NodeJS.ProcessEnv): number {
  const ms = Number(env.KILN_DAEMON_RUN_WAIT_MS);
  return env.KILN_DAEMON_RUN_WAIT_MS !== undefined && Number.isFinite(ms) && ms > 0 ? ms : RUN_CHECK_WAIT_MS;
}

/** The daemon's "every task is cached" (the tasks to replay), or undefined: the CLI checks itself. `say` gets the --verbose line. */
export async function fastPathFromDaemon(
  request: ManifestRequest,
  ctx: CommandContext,
  say: ((line: string) => void) | undefined,
): Promise<Extract<FastRunCheck, { ok: true }> | undefined> {
  const { askWorkspaceDaemon } = await import('@kiln/core/api/daemon-client');
  const { cwd, ...args } = request;
  const asked = await askWorkspaceDaemon({ cwd, env: ctx.env, op: 'run-check', args, version: buildIdentity(), bin: process.argv[1]!, timeoutMs: waitFor(ctx.env) });
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
