/**
 * nx and the inference plugins the slow tier's plugin test and `tools/bench/plugins.mjs` run
 * (@nx/js, @nx/vite, @nx/jest, @nx/devkit) at the nx version this repository pins, installed from
 * npm once per machine into a folder under the system temp directory and kept there.
 *
 * One installer at a time: a second one (the test, while `.ci/run` installs them in the background
 * during `npm ci` and the build) waits for the first instead of downloading it all again.
 *
 * `node tools/nx-plugins.mjs` installs them and prints the node_modules folder.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The nx version package.json pins. */
export const nxVersion = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).devDependencies.nx.replace(/^[\^~]/, '');

/** The packages installed, each at `nxVersion`. */
export const nxPlugins = ['nx', '@nx/js', '@nx/vite', '@nx/jest', '@nx/devkit'];

/** Where they are kept. */
export const nxPluginsFolder = join(tmpdir(), `kiln-nx-plugins-${nxVersion}`);

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** node_modules with nx and the plugins, installed now unless another process has or is doing it. */
export async function installNxPlugins() {
  const modules = join(nxPluginsFolder, 'node_modules');
  const ready = join(modules, '.kiln-ready');
  const lock = `${nxPluginsFolder}.installing`;
  for (;;) {
    if (existsSync(ready)) return modules;
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      // Another installer: wait for it, unless it died without finishing.
      const pid = Number(readFileSync(lock, 'utf8'));
      if (pid > 0 && alive(pid)) await new Promise((r) => setTimeout(r, 250));
      else rmSync(lock, { force: true });
    }
  }
  try {
    const staging = `${nxPluginsFolder}.${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: 'kiln-nx-plugins', private: true }));
    const args = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...nxPlugins.map((p) => `${p}@${nxVersion}`)];
    const child = spawn('npm', args, { cwd: staging, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve).on('error', () => resolve(-1)));
    if (code !== 0) {
      rmSync(staging, { recursive: true, force: true });
      throw new Error(`npm install of nx's plugins failed (${code}):\n${stderr}`);
    }
    writeFileSync(join(staging, 'node_modules', '.kiln-ready'), '');
    rmSync(nxPluginsFolder, { recursive: true, force: true }); // an install that never finished
    renameSync(staging, nxPluginsFolder);
    return modules;
  } finally {
    rmSync(lock, { force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  installNxPlugins().then(
    (modules) => console.log(modules),
    (e) => {
      console.error(e.message);
      process.exit(1);
    },
  );
}
