/**
 * kiln's own settings: the `"kiln"` key of nx.json, read and validated here and nowhere else.
 * Every problem is located at its key in nx.json (line and column) and collected with the rest
 * of nx.json's problems; what comes back is typed, with the defaults filled in. Pure.
 * What the settings mean is left to their users: the cache (cacheDirectory, cacheMaxSize,
 * restoreMode), the remote cache (remoteCache: `remote-cache/` lays the environment over it),
 * owners lint (owners.known), and release/ (artifacts, registry, environments: which projects,
 * how overrides layer over the defaults).
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { boolean, describeValue, either, formatPath, isObject, object, oneOf, string, stringArray, Checker, type Check } from './validate.js';
import type { JsonPath } from './json.js';

/** An OCI platform as written `os/architecture[/variant]`, e.g. `linux/arm64/v8`. */
export interface PlatformSetting {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** How one service is packed: under `kiln.artifacts`, or per project under `kiln.artifacts.overrides`. */
export interface ArtifactSettingsConfig {
  readonly target?: string;
  readonly path?: string;
  readonly prefix?: string;
  readonly base?: string;
  readonly platform?: PlatformSetting;
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly env?: readonly string[];
  readonly exposedPorts?: readonly string[];
  readonly workingDir?: string;
  readonly user?: string;
}

/** `kiln.artifacts`, as written (release/ derives the projects and layers the overrides). */
export interface ArtifactsConfig extends ArtifactSettingsConfig {
  readonly projects?: readonly string[];
  readonly outputDir?: string;
  /** The source URL to stamp, or `false` for none. */
  readonly source?: string | false;
  /** Project name → settings laid over the defaults above. */
  readonly overrides: Readonly<Record<string, ArtifactSettingsConfig>>;
}

/** `kiln.remoteCache`, as written. The token is never read from nx.json: only from the environment. */
export interface RemoteCacheConfig {
  readonly url?: string;
  readonly protocol?: 'turbo' | 'bazel';
  /** Turborepo's team: its slug (`TURBO_TEAM`), or `teamId` (`TURBO_TEAMID`). */
  readonly team?: string;
  readonly teamId?: string;
  /** Milliseconds kiln waits for the server to answer or send the next chunk. */
  readonly timeout?: number;
  /** Never write (builds that must not be trusted: pull requests from forks). */
  readonly readOnly?: boolean;
  /** Uploads at once. */
  readonly uploadConcurrency?: number;
  /** Run bundles (docs/remote-cache.md): fetched by a fresh clone and uploaded after a run (`true`), neither (`false`); unset, uploaded only in CI. */
  readonly runBundles?: boolean;
}

export interface KilnConfig {
  /** Absolute: `kiln.cacheDirectory` against the workspace root (default `.kiln/cache`); never the root or a folder holding it. */
  readonly cacheDirectory: string;
  /** Bytes: `kiln.cacheMaxSize`, a number of bytes or a string like `"5GB"`, `"500MB"` (default 10 GB). */
  readonly cacheMaxSize: number;
  /** `kiln.restoreMode`: `"link"` (hard links to the cache's copies, the default) or `"copy"`. */
  readonly restoreMode: 'link' | 'copy';
  /** `kiln.owners.known`: the owners CODEOWNERS may name (`*` a wildcard); absent: not checked against a list. */
  readonly owners: { readonly known?: readonly string[] };
  readonly artifacts: ArtifactsConfig;
  /** `kiln.registry`: the default push destination `HOST/NAME` (may hold `{projectName}`). */
  readonly registry?: string;
  /** `kiln.environments`: promotion order (empty: any environment, no order). */
  readonly environments: readonly string[];
  /** `kiln.daemon`: true starts the daemon when a command would use it, false never uses one; absent: used when running. */
  readonly daemon?: boolean;
  /** `kiln.remoteCache`: absent when nx.json has none (the environment may still set one up). */
  readonly remoteCache?: RemoteCacheConfig;
}

/** `kiln.daemon` from nx.json's parsed value, without validating the rest (the daemon's client reads only this; a wrong type counts as absent here and is an error when the workspace is read). */
export function daemonSettingOf(nxJson: unknown): boolean | undefined {
  const kiln = isObject(nxJson) ? nxJson.kiln : undefined;
  return isObject(kiln) && typeof kiln.daemon === 'boolean' ? kiln.daemon : undefined;
}

export const DEFAULT_CACHE_DIRECTORY = '.kiln/cache';
export const DEFAULT_CACHE_MAX_SIZE = 10 * 1024 ** 3;

/** The settings of a workspace whose nx.json has no `"kiln"` key (or no nx.json). */
export function defaultKilnConfig(root: string): KilnConfig {
  return { cacheDirectory: resolve(root, DEFAULT_CACHE_DIRECTORY), cacheMaxSize: DEFAULT_CACHE_MAX_SIZE, restoreMode: 'link', owners: {}, artifacts: { overrides: {} }, environments: [] };
}

/**
 * Validates `kiln` in the nx.json that `c` checks, reporting each problem at its key, and returns
 * the typed settings (a wrong value gives way to its default; the caller fails on the problems).
 */
export function readKilnConfig(nxJson: Checker, root: string): KilnConfig {
  const c = new Checker(nxJson.doc, 'the Configuration section of kiln\'s README');
  const config = kilnConfig(c, root);
  nxJson.problems.push(...c.problems);
  return config;
}

function kilnConfig(c: Checker, root: string): KilnConfig {
  const defaults = defaultKilnConfig(root);
  const kiln = isObject(c.doc.value) ? c.doc.value.kiln : undefined;
  const at: JsonPath = ['kiln'];
  if (kiln === undefined || !c.check(at, kiln, object) || !isObject(kiln)) return defaults;
  const size = kiln.cacheMaxSize === undefined ? undefined : sizeInBytes(kiln.cacheMaxSize);
  if (typeof size === 'string') c.report([...at, 'cacheMaxSize'], `"kiln.cacheMaxSize" ${size}`);
  const restoreMode = valid<'link' | 'copy'>(c, [...at, 'restoreMode'], kiln.restoreMode, oneOf('link', 'copy'));
  const registry = valid<string>(c, [...at, 'registry'], kiln.registry, describedAs(string, 'a string like "registry.example.com/shop/{projectName}"'));
  const environments = valid<string[]>(c, [...at, 'environments'], kiln.environments, describedAs(stringArray, 'a list of environment names, in promotion order'));
  const owners = valid<Record<string, unknown>>(c, [...at, 'owners'], kiln.owners, object);
  const known = owners && valid<string[]>(c, [...at, 'owners', 'known'], owners.known, stringArray);
  const daemon = valid<boolean>(c, [...at, 'daemon'], kiln.daemon, boolean);
  const remoteCache = remoteCacheConfig(c, [...at, 'remoteCache'], kiln.remoteCache);
  return {
    cacheDirectory: cacheDirectory(c, [...at, 'cacheDirectory'], kiln.cacheDirectory, root) ?? defaults.cacheDirectory,
    cacheMaxSize: typeof size === 'number' ? size : defaults.cacheMaxSize,
    restoreMode: restoreMode ?? defaults.restoreMode,
    owners: known ? { known } : {},
    artifacts: artifactsConfig(c, [...at, 'artifacts'], kiln.artifacts),
    ...(registry !== undefined && { registry }),
    environments: environments ?? defaults.environments,
    ...(daemon !== undefined && { daemon }),
    ...(remoteCache && { remoteCache }),
  };
}

const positiveInteger = (what: string): Check => (v) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? undefined : `must be ${what}, not ${describeValue(v)}`);

/** `kiln.remoteCache`; a `token` there is an error: a secret in a committed file is one everybody reads. */
function remoteCacheConfig(c: Checker, path: JsonPath, value: unknown): RemoteCacheConfig | undefined {
  const o = valid<Record<string, unknown>>(c, path, value, object);
  if (!o) return undefined;
  if (o.token !== undefined)
    c.report([...path, 'token'], `"kiln.remoteCache.token" is not read from nx.json: a token in a committed file is readable by everyone with the repository. Remove it and set KILN_REMOTE_CACHE_TOKEN (or TURBO_TOKEN) in the environment.`);
  const url = valid<string>(c, [...path, 'url'], o.url, describedAs(string, 'an http(s) URL like "https://cache.example.com"'));
  if (url !== undefined && !/^https?:\/\/[^/\s]+/i.test(url)) c.report([...path, 'url'], `"kiln.remoteCache.url" must be an http(s) URL like "https://cache.example.com", not ${JSON.stringify(url)}`);
  const protocol = valid<'turbo' | 'bazel'>(c, [...path, 'protocol'], o.protocol, oneOf('turbo', 'bazel'));
  const team = valid<string>(c, [...path, 'team'], o.team, string);
  const teamId = valid<string>(c, [...path, 'teamId'], o.teamId, string);
  const timeout = valid<number>(c, [...path, 'timeout'], o.timeout, positiveInteger('a number of milliseconds above 0'));
  const readOnly = valid<boolean>(c, [...path, 'readOnly'], o.readOnly, boolean);
  const uploadConcurrency = valid<number>(c, [...path, 'uploadConcurrency'], o.uploadConcurrency, positiveInteger('a whole number above 0'));
  const runBundles = valid<boolean>(c, [...path, 'runBundles'], o.runBundles, boolean);
  return {
    ...(url !== undefined && /^https?:\/\/[^/\s]+/i.test(url) && { url }),
    ...(protocol && { protocol }),
    ...(team !== undefined && { team }),
    ...(teamId !== undefined && { teamId }),
    ...(timeout !== undefined && { timeout }),
    ...(readOnly !== undefined && { readOnly }),
    ...(uploadConcurrency !== undefined && { uploadConcurrency }),
    ...(runBundles !== undefined && { runBundles }),
  };
}

/** `value` when it is there and passes `check`; else undefined (a problem reported when it is there). */
function valid<T>(c: Checker, path: JsonPath, value: unknown, check: Check): T | undefined {
  return value !== undefined && c.check(path, value, check) ? (value as T) : undefined;
}

/** The cache folder, absolute; undefined (after reporting) for one kiln must not use. */
function cacheDirectory(c: Checker, path: JsonPath, value: unknown, root: string): string | undefined {
  const dir = valid<string>(c, path, value, string);
  if (dir === undefined) return undefined;
  if (dir.trim() === '') {
    c.report(path, `"kiln.cacheDirectory" is empty, which would make the workspace root the cache. Leave it out for the default, "${DEFAULT_CACHE_DIRECTORY}".`);
    return undefined;
  }
  const abs = resolve(root, dir);
  const up = relative(abs, root);
  // The cache evicts what it finds in its folder: never let that folder hold the workspace.
  if (up === '' || (!up.startsWith('..') && !isAbsolute(up))) {
    c.report(path, `"kiln.cacheDirectory" is ${JSON.stringify(dir)}, which ${up === '' ? 'is the workspace root' : 'holds the workspace'}: the cache would evict the workspace's own files. Use a folder of its own, e.g. "${DEFAULT_CACHE_DIRECTORY}".`);
    return undefined;
  }
  return abs;
}

const UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** Bytes for a size setting (a number of bytes, or `"5GB"`, `"1.5 tb"`, `"500mb"`...), or what is wrong with it. */
export function sizeInBytes(v: unknown): number | string {
  const expected = 'must be a number of bytes or a size like "5GB" or "500MB"';
  let bytes: number;
  if (typeof v === 'number') bytes = v;
  else if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(v);
    if (!m) return `${expected}, not "${v}"`;
    bytes = Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!;
  } else return `${expected}, not ${describeValue(v)}`;
  if (!Number.isFinite(bytes) || Math.round(bytes) < 1) return `must be more than 0 bytes, not ${JSON.stringify(v)}`;
  return Math.round(bytes);
}

const platformPattern = /^([a-z0-9]+)\/([a-z0-9_]+)(?:\/([a-z0-9]+))?$/;

function artifactsConfig(c: Checker, path: JsonPath, value: unknown): ArtifactsConfig {
  const artifacts = valid<Record<string, unknown>>(c, path, value, object);
  if (!artifacts) return { overrides: {} };
  const overrides: Record<string, ArtifactSettingsConfig> = {};
  const each = valid<Record<string, unknown>>(c, [...path, 'overrides'], artifacts.overrides, describedAs(object, 'an object of project name → settings')) ?? {};
  for (const [name, o] of Object.entries(each)) {
    const settings = valid<Record<string, unknown>>(c, [...path, 'overrides', name], o, object);
    if (settings) overrides[name] = artifactSettings(c, [...path, 'overrides', name], settings);
  }
  const projects = valid<string[]>(c, [...path, 'projects'], artifacts.projects, stringArray);
  const outputDir = valid<string>(c, [...path, 'outputDir'], artifacts.outputDir, string);
  const source = valid<string | false>(c, [...path, 'source'], artifacts.source, either(string, (v) => (v === false ? undefined : 'not false'), 'a URL or false'));
  return {
    ...artifactSettings(c, path, artifacts),
    ...(projects && { projects }),
    ...(outputDir !== undefined && { outputDir }),
    ...(source !== undefined && { source }),
    overrides,
  };
}

function artifactSettings(c: Checker, path: JsonPath, o: Record<string, unknown>): ArtifactSettingsConfig {
  const out: Record<string, unknown> = {};
  for (const key of ['target', 'path', 'prefix', 'base', 'workingDir', 'user']) if (valid(c, [...path, key], o[key], string) !== undefined) out[key] = o[key];
  for (const key of ['entrypoint', 'cmd', 'env', 'exposedPorts']) if (valid(c, [...path, key], o[key], stringArray) !== undefined) out[key] = o[key];
  if (o.platform !== undefined) {
    const m = typeof o.platform === 'string' ? platformPattern.exec(o.platform) : null;
    if (!m) c.report([...path, 'platform'], `"${formatPath([...path, 'platform'])}" must be a platform like "linux/amd64" or "linux/arm64/v8", not ${describeValue(o.platform)}`);
    else out.platform = { os: m[1]!, architecture: m[2]!, ...(m[3] && { variant: m[3] }) };
  }
  return out as ArtifactSettingsConfig;
}

/** `check`, with the expected shape said in kiln's words. */
function describedAs(check: Check, what: string): Check {
  return (v) => (check(v) === undefined ? undefined : `must be ${what}, not ${describeValue(v)}`);
}
