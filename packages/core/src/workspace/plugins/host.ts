/**
 * The child process one Nx plugin runs in (started by `run.ts` with `fork`), so a plugin that
 * throws, hangs or exits takes only itself down. It loads the plugin as Nx does (`require`, then
 * `import()` for an ES module; a module's `default` when that is the plugin), answers with its
 * `createNodes` glob, then runs it on the files it is sent and answers with the nodes per file.
 * Messages go over the IPC channel; the plugin's own console output stays on stdout/stderr.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Message = { type: 'load'; root: string; plugin: string; name: string } | { type: 'run'; files: string[]; options: unknown; nxJson: unknown; root: string; v1: boolean };

type CreateNodesFn = (files: unknown, options: unknown, context: unknown) => unknown;
interface LoadedPlugin {
  name?: string;
  createNodesV2?: [string, CreateNodesFn];
  createNodes?: [string, CreateNodesFn];
}

let plugin: LoadedPlugin | undefined;
const send = (m: unknown): void => void process.send!(m);

process.on('message', (m: Message) => {
  void handle(m).catch((error: unknown) => send({ type: 'error', message: describe(error) }));
});

async function handle(m: Message): Promise<void> {
  if (m.type === 'load') {
    plugin = await load(m.root, m.plugin);
    const tuple = plugin.createNodesV2 ?? plugin.createNodes;
    send({ type: 'loaded', name: plugin.name ?? m.name, glob: tuple?.[0] ?? null, v2: plugin.createNodesV2 !== undefined });
    return;
  }
  const context = { nxJsonConfiguration: m.nxJson, workspaceRoot: m.root };
  const results: [string, unknown][] = [];
  const errors: [string | null, string][] = [];
  if (plugin?.createNodesV2 || !m.v1) {
    const fn = (plugin!.createNodesV2 ?? plugin!.createNodes)![1];
    try {
      results.push(...((await fn(m.files, m.options, context)) as [string, unknown][]));
    } catch (error) {
      // Nx's AggregateCreateNodesError keeps what the plugin did before failing, per file.
      const e = error as { errors?: [string | null, unknown][]; partialResults?: [string, unknown][] };
      if (Array.isArray(e?.errors)) {
        results.push(...(e.partialResults ?? []));
        for (const [file, inner] of e.errors) errors.push([file, describe(inner)]);
      } else errors.push([null, describe(error)]);
    }
  } else {
    // createNodes v1 (Nx 20 and before): one call per file.
    const fn = plugin!.createNodes![1];
    for (const file of m.files) {
      try {
        results.push([file, await fn(file, m.options, { ...context, configFiles: m.files })]);
      } catch (error) {
        errors.push([file, describe(error)]);
      }
    }
  }
  send({ type: 'result', results: JSON.parse(JSON.stringify(results)), errors });
}

async function load(root: string, spec: string): Promise<LoadedPlugin> {
  const require = createRequire(join(root, 'package.json'));
  const path = require.resolve(spec, { paths: [root] });
  if (/\.[cm]?ts$/.test(path)) registerTypeScript(require, path);
  let mod: Record<string, unknown>;
  try {
    mod = require(path) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw error;
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  }
  const inner = mod.default as Record<string, unknown> | undefined;
  if (inner && typeof inner === 'object' && ('createNodes' in inner || 'createNodesV2' in inner)) return inner as LoadedPlugin;
  return mod as LoadedPlugin;
}

/** A plugin written in TypeScript loads through the workspace's own transpiler, as Nx registers it. */
function registerTypeScript(require: NodeJS.Require, path: string): void {
  for (const loader of ['@swc-node/register', 'ts-node/register/transpile-only']) {
    try {
      require(loader);
      return;
    } catch {
      // not installed in the workspace: try the next
    }
  }
  throw new Error(`${path} is TypeScript, and the workspace has neither @swc-node/register nor ts-node to load it (Nx needs one too).`);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n').slice(0, 6).join('\n');
  return String(error);
}
