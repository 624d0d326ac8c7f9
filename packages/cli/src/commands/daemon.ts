/** `kiln daemon start|stop|status`: the workspace's daemon (see docs/daemon.md). */
import { boolOpt, ExitCode, jsonOption, usageError, type Command } from '../command.js';
import { buildIdentity } from '../version.js';

const DEFAULT_IDLE_MS = 3 * 60 * 60 * 1000;

export const command: Command = {
  name: 'daemon',
  summary: 'start, stop or ask about the workspace daemon that answers queries from memory',
  usage: 'kiln daemon start|stop|status [--json]',
  subcommands: ['start', 'stop', 'status', 'serve'],
  options: { ...jsonOption },
  details: [
    'One daemon per workspace, reached over a Unix socket under .kiln/. While it runs, kiln affected, projects, graph,',
    'hash and why-miss ask it; it proves its state current before each answer, and on any doubt the command answers',
    'directly (--verbose says so). KILN_DAEMON=0 turns it off; in CI it is off unless KILN_DAEMON=1; nx.json',
    '"kiln": {"daemon": true|false} starts it when needed or never uses it. It stops after 3 hours without a request',
    '(KILN_DAEMON_IDLE_MS) and when the workspace goes. kiln run waits 150 ms for its verdict, then checks itself',
    '(KILN_DAEMON_RUN_WAIT_MS). See docs/daemon.md.',
    '--json (status) prints {"pid","root","version","protocol","otherBuild","socket","uptimeMs","rssBytes","watchedFolders","watchedFiles","runCheckFolders","lastEventAt","answers","trouble"}',
    '(otherBuild: why the daemon does not answer this kiln, or null). start replaces a daemon of another kiln build.',
    'Exit codes: 0 done (status: running); 1 status: no daemon runs; 2 usage error.',
  ].join('\n'),
  async run(args, ctx) {
    const [sub, ...rest] = args.positionals;
    if (rest.length > 0 || (sub !== 'start' && sub !== 'stop' && sub !== 'status' && sub !== 'serve'))
      throw await usageError('usage', `kiln daemon takes start, stop or status${sub === undefined ? '' : `, not "${args.positionals.join(' ')}"`}.`, 'e.g. kiln daemon start');
    const api = await import('@kiln/core/api/daemon-control');
    const version = buildIdentity();
    if (sub === 'serve') {
      const { requireWorkspaceRoot } = await import('@kiln/core/api/daemon-client');
      const idle = Number(ctx.env.KILN_DAEMON_IDLE_MS);
      const root = requireWorkspaceRoot(ctx.cwd);
      await api.serveWorkspaceDaemon(root, version, (line) => ctx.out.info(`${new Date().toISOString()} ${line}`), Number.isFinite(idle) && idle > 0 ? idle : DEFAULT_IDLE_MS);
      return ExitCode.ok;
    }
    if (sub === 'start') {
      const { record, started, replaced } = await api.daemonStart(ctx.cwd, version, process.argv[1]!, ctx.env);
      if (replaced) ctx.out.info(`stopped daemon ${replaced.pid}: it is kiln ${replaced.version}, this is ${version}`);
      ctx.out.info(`${started ? 'started' : 'already running:'} daemon ${record.pid} for ${record.root} (socket ${record.socket})`);
      return ExitCode.ok;
    }
    if (sub === 'stop') {
      const record = await api.daemonStop(ctx.cwd, version);
      ctx.out.info(record ? `stopped daemon ${record.pid}` : 'no daemon was running');
      return ExitCode.ok;
    }
    const status = await api.daemonStatus(ctx.cwd, version);
    if (boolOpt(args, 'json')) ctx.out.json(status ?? null);
    if (status === undefined) {
      if (!boolOpt(args, 'json')) ctx.out.info('no daemon runs for this workspace (kiln daemon start starts one)');
      return ExitCode.failed;
    }
    if (!boolOpt(args, 'json')) {
      const mb = (status.rssBytes / 1024 / 1024).toFixed(1);
      ctx.out.print(`daemon ${status.pid} for ${status.root}, kiln ${status.version}`);
      if (status.otherBuild) ctx.out.print(ctx.out.style('yellow', `  another build than this kiln (${version}): it answers nothing; kiln daemon start replaces it`));
      ctx.out.print(
        `  up ${formatDuration(status.uptimeMs)}, ${mb} MB resident, watching ${status.watchedFiles} files in ${status.watchedFolders} folders${status.runCheckFolders > 0 ? ` and ${status.runCheckFolders} folders for kiln run's check` : ''}`,
      );
      ctx.out.print(
        `  last change seen: ${status.lastEventAt ?? 'none yet'}; answers: ${status.answers.memory} from memory, ${status.answers.computed} computed, ${status.answers.unprovable} left to the CLI`,
      );
      if (status.trouble) ctx.out.print(ctx.out.style('yellow', `  cannot prove its state: ${status.trouble}`));
    }
    return ExitCode.ok;
  },
};

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${s % 60}s` : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}
