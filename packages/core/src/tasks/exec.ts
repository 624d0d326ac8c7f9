import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { formatDiagnostic } from '../model/index.js';
import { parseJson } from '../workspace/index.js';
import { taskOptions, type RunnableTask } from './runnable.js';
import { wantsReproducible, withReproducibility, type ReproducibleSource } from './reproducible.js';

/** How to run one task: shell commands, where, with what environment. Built by `commandsFor`. */
export interface TaskCommand {
  readonly commands: readonly string[];
  /** Run the commands at once (`nx:run-commands` with `parallel`) instead of one after another. */
  readonly parallel: boolean;
  /** Absolute working directory. */
  readonly cwd: string;
  /** Variables added to the environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Directories put in front of PATH (`node_modules/.bin` of the package, then of the root). */
  readonly path: readonly string[];
  /** Run with SOURCE_DATE_EPOCH from these paths' history, TZ=UTC and umask 022 (reproducible.ts); unset when the target opts out. */
  readonly reproducible?: ReproducibleSource;
}

export interface ExecResult {
  readonly code: number;
  /** Set when the process ended by a signal. */
  readonly signal?: string;
}

/**
 * Runs shell commands the way npm runs scripts, without spawning npm: `sh -c` (cmd.exe on
 * Windows), PATH with the `node_modules/.bin` directories in front. Each command runs in its own
 * process group (detached), so `ProcessGroup.killAll` ends the whole tree, not just the shell.
 */
export class ProcessGroup {
  private readonly running = new Set<ChildProcess>();
  private killed = false;

  get size(): number {
    return this.running.size;
  }

  async run(task: TaskCommand, onData: (chunk: Buffer) => void): Promise<ExecResult> {
    const cmd = task.reproducible ? await withReproducibility(task, task.reproducible) : task;
    if (cmd.parallel) {
      const results = await Promise.all(cmd.commands.map((c) => this.one(c, cmd, onData)));
      return results.find((r) => r.code !== 0) ?? { code: 0 };
    }
    for (const c of cmd.commands) {
      const r = await this.one(c, cmd, onData);
      if (r.code !== 0) return r;
    }
    return { code: 0 };
  }

  private one(command: string, cmd: TaskCommand, onData: (chunk: Buffer) => void): Promise<ExecResult> {
    if (this.killed) return Promise.resolve({ code: 130, signal: 'SIGINT' });
    const env: NodeJS.ProcessEnv = { ...process.env, ...cmd.env };
    const pathKey = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
    env[pathKey] = [...cmd.path, env[pathKey] ?? ''].filter((p) => p !== '').join(delimiter);
    const windows = process.platform === 'win32';
    const child = spawn(windows ? (process.env.ComSpec ?? 'cmd.exe') : '/bin/sh', windows ? ['/d', '/s', '/c', command] : ['-c', command], {
      cwd: cmd.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: !windows,
      windowsVerbatimArguments: windows,
    });
    this.running.add(child);
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: ExecResult): void => {
        if (done) return;
        done = true;
        this.running.delete(child);
        resolve(r);
      };
      child.on('error', (e) => {
        onData(Buffer.from(`kiln: could not start "${command}": ${e.message}\n`));
        finish({ code: 127 });
      });
      child.on('close', (code, signal) => finish(signal ? { code: 128 + (signalNumber(signal) ?? 1), signal } : { code: code ?? 1 }));
    });
  }

  /** Ends every running process tree: SIGTERM to each group, SIGKILL to those still there after `graceMs`. */
  async killAll(graceMs = 3000): Promise<void> {
    this.killed = true;
    const children = [...this.running];
    for (const c of children) killTree(c, 'SIGTERM');
    if (children.length === 0) return;
    const deadline = Date.now() + graceMs;
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    for (const c of this.running) killTree(c, 'SIGKILL');
  }
}

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform === 'win32') spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore' });
    else process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function signalNumber(signal: string): number | undefined {
  return (osConstants.signals as Record<string, number | undefined>)[signal];
}

export interface PackageInfo {
  readonly name?: string;
  readonly version?: string;
  /** Absolute path of package.json. */
  readonly file: string;
  readonly scripts: Readonly<Record<string, string>>;
}

/** Thrown (as data) when a target cannot be run by kiln. */
export interface CommandProblem {
  readonly problem: string;
  readonly hint?: string;
}

/**
 * The shell commands for a target: `nx:run-script` (the package.json script, npm's environment),
 * `nx:run-commands` (`command`/`commands`, `parallel`, `cwd`, `args`, `env`). Extra `args` are
 * appended to each command, as Nx forwards them.
 */
export function commandsFor(input: {
  readonly workspaceRoot: string;
  readonly projectRoot: string;
  readonly target: string;
  readonly executor: string | undefined;
  readonly options: Readonly<Record<string, unknown>>;
  readonly packageJson?: PackageInfo;
  readonly args?: readonly string[];
}): TaskCommand | CommandProblem {
  const projectDir = join(input.workspaceRoot, input.projectRoot);
  const path = [...new Set([join(projectDir, 'node_modules', '.bin'), join(input.workspaceRoot, 'node_modules', '.bin')])];
  const extra = (input.args ?? []).map(shellQuote).join(' ');
  const reproducible = wantsReproducible(input.options) ? { reproducible: { workspaceRoot: input.workspaceRoot, paths: [input.projectRoot] } } : {};
  const withArgs = (c: string): string => (extra ? `${c} ${extra}` : c);
  const executor = input.executor ?? 'nx:run-commands';
  if (executor === 'nx:run-script') {
    const script = typeof input.options.script === 'string' ? input.options.script : input.target;
    const pkg = input.packageJson;
    const text = pkg?.scripts[script];
    if (text === undefined) return { problem: `package.json of "${input.projectRoot || '.'}" has no script "${script}".` };
    return {
      commands: [withArgs(text)],
      parallel: false,
      cwd: projectDir,
      path,
      env: {
        npm_lifecycle_event: script,
        npm_lifecycle_script: text,
        npm_package_json: pkg!.file,
        ...(pkg!.name !== undefined && { npm_package_name: pkg!.name }),
        ...(pkg!.version !== undefined && { npm_package_version: pkg!.version }),
        INIT_CWD: input.workspaceRoot,
        npm_command: 'run-script',
        npm_node_execpath: process.execPath,
      },
      ...reproducible,
    };
  }
  if (executor === 'nx:run-commands') {
    const o = input.options;
    const list: string[] = [];
    if (typeof o.command === 'string') list.push(o.command);
    if (Array.isArray(o.commands))
      for (const c of o.commands) {
        if (typeof c === 'string') list.push(c);
        else if (c && typeof c === 'object' && typeof (c as { command?: unknown }).command === 'string') list.push((c as { command: string }).command);
      }
    if (list.length === 0) return { problem: `nx:run-commands target "${input.target}" has no "command" or "commands".` };
    const args = typeof o.args === 'string' ? o.args : Array.isArray(o.args) ? (o.args as string[]).join(' ') : '';
    const cwd = typeof o.cwd === 'string' ? join(input.workspaceRoot, o.cwd) : input.workspaceRoot;
    const env: Record<string, string> = {};
    if (o.env && typeof o.env === 'object') for (const [k, v] of Object.entries(o.env as Record<string, unknown>)) env[k] = String(v);
    return {
      commands: list.map((c) => withArgs(args ? `${c} ${args}` : c)),
      // Nx runs `commands` in parallel unless told `parallel: false`.
      parallel: list.length > 1 && o.parallel !== false,
      cwd,
      path,
      env,
      ...reproducible,
    };
  }
  return {
    problem: `Target "${input.target}" uses executor "${executor}", which kiln does not run.`,
    hint: 'kiln runs package.json scripts (nx:run-script) and nx:run-commands; wrap the tool in a command.',
  };
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs a planned task's commands in `group`, streaming their output to `onData`; how the first
 * failing command (or the last) ended. A target kiln cannot run fails with code 1, the reason
 * written to its output.
 */
export async function runTask(root: string, t: RunnableTask, group: ProcessGroup, onData: (chunk: Buffer) => void): Promise<ExecResult> {
  // A target that only depends on others (Nx's nx:noop, turbo's task without a script) runs nothing, and succeeds.
  if (t.config.executor === 'nx:noop') return { code: 0 };
  const command = await taskCommand(root, t);
  if ('problem' in command) {
    onData(Buffer.from(`kiln: ${command.problem}${command.hint ? `\n  ${command.hint}` : ''}\n`));
    return { code: 1 };
  }
  return group.run(command, onData);
}

/** The commands of a planned task (`commandsFor`), reading its package.json for a script target. */
export async function taskCommand(root: string, t: RunnableTask): Promise<TaskCommand | CommandProblem> {
  const executor = t.config.executor;
  let packageJson: PackageInfo | undefined;
  if (executor === 'nx:run-script') {
    const file = join(root, t.project.root, 'package.json');
    // Read as the workspace reads it (a byte-order mark, comments): the file may have changed since.
    const parsed = parseJson(await readFile(file, 'utf8'), join(t.project.root, 'package.json'));
    if (!parsed.ok) return { problem: parsed.error.map(formatDiagnostic).join('\n') };
    const pkg = (isRecord(parsed.value.value) ? parsed.value.value : {}) as { name?: unknown; version?: unknown; scripts?: unknown };
    const scripts = isRecord(pkg.scripts) ? Object.fromEntries(Object.entries(pkg.scripts).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
    packageJson = { file, scripts, ...(typeof pkg.name === 'string' && { name: pkg.name }), ...(typeof pkg.version === 'string' && { version: pkg.version }) };
  }
  return commandsFor({
    workspaceRoot: root,
    projectRoot: t.project.root,
    target: t.target,
    executor,
    options: taskOptions(t),
    ...(packageJson && { packageJson }),
    ...(t.args && { args: t.args }),
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
