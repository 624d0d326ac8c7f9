/**
 * One Nx plugin in its own child process (`host.ts`): started on demand, asked for its glob, run on
 * the config files whose nodes are not cached, then stopped. Every step has a time limit; a child
 * that throws, exits or hangs becomes an error naming the plugin, never a crash of kiln. The child
 * runs at the workspace root with Nx's own environment pointing its data folder into `.kiln`, so a
 * plugin's own caches land in kiln's folder, not in `.nx`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** What a plugin gave for each config file (`[file, { projects, externalNodes }]`), and per-file errors (`null`: the whole run). */
export interface PluginOutput {
  readonly results: readonly [string, { projects?: Record<string, Record<string, unknown>> } | undefined][];
  readonly errors: readonly [string | null, string][];
}

export interface PluginProcess {
  /** Loads the plugin: its name and `createNodes` glob (null: it infers nothing). */
  load(): Promise<{ name: string; glob: string | null; v2: boolean }>;
  run(files: readonly string[], options: unknown, nxJson: unknown, v1: boolean): Promise<PluginOutput>;
  close(): void;
}

/** KILN_PLUGIN_TIMEOUT_MS bounds each step (loading, running); a minute by default. */
const timeoutMs = (): number => Number(process.env.KILN_PLUGIN_TIMEOUT_MS) || 60_000;

export function startPlugin(root: string, spec: string): PluginProcess {
  let child: ChildProcess | undefined;
  let output = '';
  const start = (): ChildProcess => {
    if (child) return child;
    child = fork(new URL('./host.js', import.meta.url), [], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: { ...process.env, NX_WORKSPACE_ROOT_PATH: root, NX_WORKSPACE_DATA_DIRECTORY: join(root, '.kiln', 'nx-workspace-data'), NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: 'false' },
    });
    const keep = (chunk: Buffer): void => void (output = (output + String(chunk)).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('error', () => undefined);
    return child;
  };
  const ask = <T>(message: unknown, answer: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const c = start();
      const timer = setTimeout(() => {
        finish();
        c.kill('SIGKILL');
        reject(new Error(`it did not answer within ${Math.round(timeoutMs() / 1000)}s (KILN_PLUGIN_TIMEOUT_MS)`));
      }, timeoutMs());
      const onMessage = (m: { type: string; message?: string }) => {
        finish();
        if (m.type === answer) resolve(m as T);
        else reject(new Error(m.message ?? 'it failed'));
      };
      const onExit = (code: number | null, signal: string | null) => {
        finish();
        const tail = output.trim().split('\n').slice(-5).join('\n');
        reject(new Error(`its process exited (${signal ?? `code ${code}`})${tail ? `:\n${tail}` : ''}`));
      };
      const finish = () => {
        clearTimeout(timer);
        c.off('message', onMessage);
        c.off('exit', onExit);
      };
      c.on('message', onMessage);
      c.on('exit', onExit);
      c.send(message as never);
    });
  return {
    load: () => ask({ type: 'load', root, plugin: spec, name: spec }, 'loaded'),
    run: (files, options, nxJson, v1) => ask({ type: 'run', files, options, nxJson, root, v1 }, 'result'),
    close: () => {
      if (child && child.exitCode === null) child.kill();
    },
  };
}
