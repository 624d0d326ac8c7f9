/**
 * The remote cache's settings: nx.json `kiln.remoteCache` (validated in workspace/kiln-config.ts)
 * with the environment laid over it, kiln's variables first, then turbo's own, so a team keeps
 * its secrets when it moves over. The token and the signature key come only from the
 * environment, and no message ever holds them. Pure.
 *
 *   KILN_REMOTE_CACHE=off                          no remote cache, whatever else is set
 *   KILN_REMOTE_CACHE_URL        TURBO_API          the server (http or https)
 *   KILN_REMOTE_CACHE_PROTOCOL                      "turbo" (default) or "bazel"
 *   KILN_REMOTE_CACHE_TOKEN      TURBO_TOKEN        Bearer token
 *   KILN_REMOTE_CACHE_TEAM       TURBO_TEAM         turbo's team slug (`slug=`)
 *   KILN_REMOTE_CACHE_TEAMID     TURBO_TEAMID       turbo's team id (`teamId=`)
 *   KILN_REMOTE_CACHE_SIGNATURE_KEY  TURBO_REMOTE_CACHE_SIGNATURE_KEY   sign uploads, verify reads
 *   KILN_REMOTE_CACHE_READ_ONLY  TURBO_REMOTE_CACHE_READ_ONLY   never write (1/true)
 *   KILN_REMOTE_CACHE_TIMEOUT (ms)  TURBO_REMOTE_CACHE_TIMEOUT (s)   wait for an answer or the next chunk
 *   KILN_REMOTE_CACHE_RUN_BUNDLES                  run bundles: 1 fetch and upload, 0 neither (unset: upload only where CI is set)
 */
import { diagnostic, type Diagnostic } from '../model/index.js';
import type { RemoteCacheConfig } from '../workspace/index.js';

export interface RemoteCacheSettings {
  /** The server's base URL, without a trailing slash, credentials or query. */
  readonly url: string;
  readonly protocol: 'turbo' | 'bazel';
  readonly token?: string;
  /** `user:password` from the URL (Basic auth, as bazel-remote and nginx take it). */
  readonly basicAuth?: string;
  readonly team?: string;
  readonly teamId?: string;
  readonly signatureKey?: string;
  readonly timeoutMs: number;
  readonly readOnly: boolean;
  readonly uploadConcurrency: number;
  /** Run bundles (`run-bundle.ts`): a fresh clone fetches its commit's; `upload` also uploads one after a run. */
  readonly runBundles: 'off' | 'fetch' | 'upload';
}

export const DEFAULT_REMOTE_TIMEOUT_MS = 10_000;
export const DEFAULT_UPLOAD_CONCURRENCY = 8;

export type RemoteSettingsResult =
  { readonly status: 'off' } | { readonly status: 'on'; readonly settings: RemoteCacheSettings } | { readonly status: 'invalid'; readonly diagnostic: Diagnostic };

type Env = Readonly<Record<string, string | undefined>>;

/** The settings in force, or `off` when no server is named, or what is wrong with a variable. */
export function remoteCacheSettings(config: RemoteCacheConfig | undefined, env: Env): RemoteSettingsResult {
  const get = (...names: string[]): { name: string; value: string } | undefined => {
    for (const name of names) {
      const value = env[name];
      if (value !== undefined && value.trim() !== '') return { name, value: value.trim() };
    }
    return undefined;
  };
  const invalid = (message: string, hint: string): RemoteSettingsResult => ({ status: 'invalid', diagnostic: diagnostic('invalid-config', message, { hint }) });
  const off = get('KILN_REMOTE_CACHE');
  if (off && /^(off|0|false|no)$/i.test(off.value)) return { status: 'off' };
  const urlVar = get('KILN_REMOTE_CACHE_URL', 'TURBO_API');
  const rawUrl = urlVar?.value ?? config?.url;
  if (rawUrl === undefined) return { status: 'off' };
  let parsed: URL | undefined;
  try {
    parsed = new URL(rawUrl);
  } catch {
    parsed = undefined;
  }
  const from = urlVar ? urlVar.name : 'nx.json "kiln.remoteCache.url"';
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
    return invalid(
      `${from} must be an http(s) URL like "https://cache.example.com", not ${JSON.stringify(parsed ? `${parsed.protocol}//${parsed.host}` : '(unparsable)')}`,
      `Fix ${from}, or set KILN_REMOTE_CACHE=off to run without a remote cache.`,
    );
  const basicAuth = parsed.username !== '' ? `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}` : undefined;
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  const url = parsed.toString().replace(/\/+$/, '');

  const protocolVar = get('KILN_REMOTE_CACHE_PROTOCOL');
  const protocol = protocolVar?.value ?? config?.protocol ?? 'turbo';
  if (protocol !== 'turbo' && protocol !== 'bazel')
    return invalid(
      `KILN_REMOTE_CACHE_PROTOCOL must be "turbo" or "bazel", not ${JSON.stringify(protocol)}`,
      'Set it to "turbo" (Turborepo Remote Cache API v8) or "bazel" (Bazel HTTP cache).',
    );

  let timeoutMs = config?.timeout ?? DEFAULT_REMOTE_TIMEOUT_MS;
  const timeoutVar = get('KILN_REMOTE_CACHE_TIMEOUT', 'TURBO_REMOTE_CACHE_TIMEOUT');
  if (timeoutVar) {
    const n = Number(timeoutVar.value);
    if (!Number.isFinite(n) || n <= 0)
      return invalid(
        `${timeoutVar.name} must be a number above 0, not ${JSON.stringify(timeoutVar.value)}`,
        'KILN_REMOTE_CACHE_TIMEOUT is in milliseconds, TURBO_REMOTE_CACHE_TIMEOUT in seconds.',
      );
    timeoutMs = Math.round(timeoutVar.name === 'TURBO_REMOTE_CACHE_TIMEOUT' ? n * 1000 : n);
  }

  let readOnly = config?.readOnly ?? false;
  const readOnlyVar = get('KILN_REMOTE_CACHE_READ_ONLY', 'TURBO_REMOTE_CACHE_READ_ONLY');
  if (readOnlyVar) {
    const f = flag(readOnlyVar.value);
    if (f !== undefined) readOnly = f;
    else
      return invalid(
        `${readOnlyVar.name} must be true or false (1 or 0), not ${JSON.stringify(readOnlyVar.value)}`,
        'Set it to 1 for builds that must not write to the shared cache.',
      );
  }

  let bundles = config?.runBundles;
  const bundlesVar = get('KILN_REMOTE_CACHE_RUN_BUNDLES');
  if (bundlesVar) {
    bundles = flag(bundlesVar.value);
    if (bundles === undefined)
      return invalid(
        `KILN_REMOTE_CACHE_RUN_BUNDLES must be true or false (1 or 0), not ${JSON.stringify(bundlesVar.value)}`,
        'Set it to 0 to neither fetch nor upload run bundles.',
      );
  }
  // Unset: CI jobs upload (their later jobs and reruns fetch); a laptop's runs only fetch.
  const ci = get('CI');
  const runBundles = bundles === false ? 'off' : bundles === true || (ci !== undefined && flag(ci.value) !== false) ? 'upload' : 'fetch';

  const token = get('KILN_REMOTE_CACHE_TOKEN', 'TURBO_TOKEN')?.value;
  const team = get('KILN_REMOTE_CACHE_TEAM', 'TURBO_TEAM')?.value ?? config?.team;
  const teamId = get('KILN_REMOTE_CACHE_TEAMID', 'TURBO_TEAMID')?.value ?? config?.teamId;
  const signatureKey = get('KILN_REMOTE_CACHE_SIGNATURE_KEY', 'TURBO_REMOTE_CACHE_SIGNATURE_KEY')?.value;
  return {
    status: 'on',
    settings: {
      url,
      protocol,
      ...(token !== undefined && { token }),
      ...(basicAuth !== undefined && { basicAuth }),
      ...(team !== undefined && { team }),
      ...(teamId !== undefined && { teamId }),
      ...(signatureKey !== undefined && { signatureKey }),
      timeoutMs,
      readOnly,
      uploadConcurrency: config?.uploadConcurrency ?? DEFAULT_UPLOAD_CONCURRENCY,
      runBundles,
    },
  };
}

/** A variable's yes or no: 1/true/yes/on, 0/false/no/off; undefined for anything else. */
function flag(value: string): boolean | undefined {
  return /^(1|true|yes|on)$/i.test(value) ? true : /^(0|false|no|off)$/i.test(value) ? false : undefined;
}
