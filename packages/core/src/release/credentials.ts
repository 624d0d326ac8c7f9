/**
 * Edge: registry credentials, as Docker finds them: KILN_REGISTRY_* in the environment, then a
 * credential helper named in $DOCKER_CONFIG/config.json, then its `auths`. Credentials are handed
 * to the registry client (registry.ts) and never appear in messages.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Credentials {
  readonly username?: string;
  readonly password?: string;
  /** An identity/registry token used as a Bearer token or refresh token. */
  readonly token?: string;
}

/**
 * Credentials for `registry`: KILN_REGISTRY_USERNAME/KILN_REGISTRY_PASSWORD (or KILN_REGISTRY_TOKEN)
 * first, then `auths` in $DOCKER_CONFIG/config.json (default ~/.docker/config.json).
 */
export async function findCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  if (env.KILN_REGISTRY_TOKEN) return { token: env.KILN_REGISTRY_TOKEN };
  if (env.KILN_REGISTRY_USERNAME && env.KILN_REGISTRY_PASSWORD) return { username: env.KILN_REGISTRY_USERNAME, password: env.KILN_REGISTRY_PASSWORD };
  const file = join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  let config: {
    auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
    credsStore?: string;
    credHelpers?: Record<string, string>;
  };
  try {
    config = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  const helper = config.credHelpers?.[registry] ?? config.credsStore;
  if (helper) {
    const fromHelper = await credentialHelper(helper, registry, env);
    if (fromHelper) return fromHelper;
  }
  const auths = config.auths ?? {};
  const key = Object.keys(auths).find((k) => k.replace(/^https?:\/\//, '').replace(/\/.*$/, '') === registry);
  const entry = key === undefined ? undefined : auths[key];
  if (!entry) return undefined;
  if (entry.registrytoken) return { token: entry.registrytoken };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  return undefined;
}

/**
 * Asks `docker-credential-HELPER get` (the Docker credential-helper protocol: the server on
 * stdin, `{"Username","Secret"}` on stdout). A helper that is missing or knows nothing gives
 * undefined; its output is never shown.
 */
function credentialHelper(helper: string, registry: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  if (!/^[\w.-]+$/.test(helper)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { env, timeout: 30_000 }, (error, stdout) => {
      if (error) return resolve(undefined);
      try {
        const out = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (!out.Secret) return resolve(undefined);
        resolve(out.Username === '<token>' ? { token: out.Secret } : { username: out.Username ?? '', password: out.Secret });
      } catch {
        resolve(undefined);
      }
    });
    child.stdin?.end(registry);
  });
}
