/**
 * turbo.json files (root and package configurations, `turbo.jsonc` too) read and checked as
 * turbo 2 reads them: every key turbo knows, with its type; an unknown key is an error at its
 * file:line:column with the nearest known key suggested. What the keys mean for kiln is
 * `turbo.ts`'s business (and docs/turbo.md's). Pure: the caller passes the text.
 */
import { diagnostic, didYouMean, type Diagnostic } from '../model/index.js';
import { parseJson, type JsonPath, type ParsedJson } from './json.js';
import { array, boolean, Checker, either, formatPath, isObject, object, oneOf, string, stringArray, type Check } from './validate.js';

export const TURBO_DOCS = 'https://turborepo.com/docs/reference/configuration';

/** One task definition as written (after the checks: the types below hold). */
export interface TurboTaskDefinition {
  readonly dependsOn?: readonly string[];
  readonly inputs?: readonly (string | TurboStructuredInput)[];
  readonly outputs?: readonly string[];
  readonly cache?: boolean;
  readonly env?: readonly string[];
  readonly passThroughEnv?: readonly string[] | null;
  readonly persistent?: boolean;
  readonly interactive?: boolean;
  readonly interruptible?: boolean;
  readonly outputLogs?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly with?: readonly string[];
  /** Package configurations only: false drops what the task would inherit. */
  readonly extends?: boolean;
}

/** `{ "mode": "jit" | "dependencyOutputs", "globs": [...], "from"?: [...] }`. */
export interface TurboStructuredInput {
  readonly mode?: string;
  readonly globs?: readonly string[];
  readonly from?: readonly string[];
  readonly withDefaults?: boolean;
}

export interface TurboFile {
  /** Repository-relative path of the file. */
  readonly file: string;
  /** The package directory it sits in; `''` for the root turbo.json. */
  readonly dir: string;
  readonly doc: ParsedJson;
  /** Package configurations: `["//", ...other packages]`. */
  readonly extends: readonly string[];
  readonly tasks: Readonly<Record<string, TurboTaskDefinition>>;
  /** Root only (top level, or under `global` with the `globalConfiguration` future flag). */
  readonly globalDependencies: readonly string[];
  readonly globalEnv: readonly string[];
  readonly globalPassThroughEnv: readonly string[];
  readonly envMode?: 'strict' | 'loose';
  /** Package configurations: the package's own tags. */
  readonly tags: readonly string[];
}

const TASK_KEYS: Record<string, Check> = {
  dependsOn: stringArray,
  inputs: array,
  outputs: stringArray,
  cache: boolean,
  env: stringArray,
  passThroughEnv: either(stringArray, (v) => (v === null ? undefined : 'null'), 'an array of strings or null'),
  persistent: boolean,
  interactive: boolean,
  interruptible: boolean,
  outputLogs: oneOf('full', 'hash-only', 'new-only', 'errors-only', 'none'),
  description: string,
  tags: stringArray,
  with: stringArray,
  extends: boolean,
};

/** Settings that sit at the top level, or under `global` with the `globalConfiguration` future flag. */
const SETTINGS: Record<string, Check> = {
  envMode: oneOf('strict', 'loose'),
  ui: oneOf('tui', 'stream'),
  noUpdateNotifier: boolean,
  concurrency: string,
  dangerouslyDisablePackageManagerCheck: boolean,
  cacheDir: string,
  cacheMaxAge: string,
  cacheMaxSize: string,
  daemon: boolean,
  remoteCache: object,
  experimentalObservability: object,
};

const GLOBAL_KEYS: Record<string, Check> = {
  ...SETTINGS,
  globalDependencies: stringArray,
  globalEnv: stringArray,
  globalPassThroughEnv: stringArray,
  agentGuidance: boolean,
  futureFlags: object,
  global: object,
  boundaries: object,
  setup: object,
};

/** `global`: the same settings, and the global inputs under new names. */
const GLOBAL_SECTION_KEYS: Record<string, Check> = { ...SETTINGS, inputs: stringArray, env: stringArray, passThroughEnv: stringArray };

const COMMON_KEYS: Record<string, Check> = { $schema: string, extends: stringArray, tasks: object, tags: stringArray };
const ROOT_KEYS = { ...COMMON_KEYS, ...GLOBAL_KEYS };

/** Reads one turbo.json; `dir` is its package directory (`''` for the root). */
export function readTurboFile(text: string, file: string, dir: string): { ok: true; value: TurboFile } | { ok: false; error: Diagnostic[] } {
  const parsed = parseJson(text, file);
  if (!parsed.ok) return parsed;
  const doc = parsed.value;
  const c = new Checker(doc, TURBO_DOCS);
  const root = dir === '';
  const v = doc.value;
  if (!c.check([], v, object) || !isObject(v)) return { ok: false, error: c.problems };
  if (v.pipeline !== undefined) c.report(['pipeline'], 'turbo 2 renamed "pipeline" to "tasks"; kiln reads turbo 2 configuration', 'unknown-config-key');
  unknownKeys(c, [], v, root ? ROOT_KEYS : COMMON_KEYS, ['pipeline'], root ? undefined : Object.keys(GLOBAL_KEYS));
  for (const [key, check] of Object.entries(root ? ROOT_KEYS : COMMON_KEYS)) c.check([key], v[key], check);
  const globalSection = isObject(v.global) ? v.global : undefined;
  if (root && globalSection) {
    unknownKeys(c, ['global'], globalSection, GLOBAL_SECTION_KEYS);
    for (const [key, check] of Object.entries(GLOBAL_SECTION_KEYS)) c.check(['global', key], globalSection[key], check);
  }
  const ext = Array.isArray(v.extends) ? (v.extends as string[]) : [];
  if (!root && (ext.length === 0 || ext[0] !== '//')) c.report(['extends'], `a package's turbo.json must start "extends" with "//" (the root turbo.json), as turbo requires`);
  const tasks: Record<string, TurboTaskDefinition> = {};
  if (isObject(v.tasks)) {
    for (const [name, def] of Object.entries(v.tasks)) {
      const at: JsonPath = ['tasks', name];
      if (!c.check(at, def, object) || !isObject(def)) continue;
      if (!root && name.includes('#')) c.report(at, `a package's turbo.json names its own tasks without "#": "${formatPath(at)}" cannot configure another package's task`);
      unknownKeys(c, at, def, root ? withoutKey(TASK_KEYS, 'extends') : TASK_KEYS);
      for (const [key, check] of Object.entries(TASK_KEYS)) c.check([...at, key], def[key], check);
      if (Array.isArray(def.inputs)) def.inputs.forEach((input, i) => checkInput(c, [...at, 'inputs', i], input));
      tasks[name] = def as TurboTaskDefinition;
    }
  }
  if (c.problems.length > 0) return { ok: false, error: c.problems };
  const strings = (x: unknown): string[] => (Array.isArray(x) ? (x as string[]) : []);
  return {
    ok: true,
    value: {
      file,
      dir,
      doc,
      extends: root ? [] : ext,
      tasks,
      globalDependencies: [...strings(v.globalDependencies), ...strings(globalSection?.inputs)],
      globalEnv: [...strings(v.globalEnv), ...strings(globalSection?.env)],
      globalPassThroughEnv: [...strings(v.globalPassThroughEnv), ...strings(globalSection?.passThroughEnv)],
      ...(((globalSection?.envMode ?? v.envMode) as 'strict' | 'loose' | undefined) && { envMode: (globalSection?.envMode ?? v.envMode) as 'strict' | 'loose' }),
      tags: strings(v.tags),
    },
  };
}

function checkInput(c: Checker, at: JsonPath, input: unknown): void {
  if (typeof input === 'string') return;
  if (!c.check(at, input, either(string, object, 'a glob or an object like {"mode": "jit", "globs": [...]}')) || !isObject(input)) return;
  const keys = { mode: oneOf('jit', 'dependencyOutputs'), globs: stringArray, from: stringArray, withDefaults: boolean };
  unknownKeys(c, at, input, keys);
  for (const [key, check] of Object.entries(keys)) c.check([...at, key], input[key], check);
}

/** An error for each key of `value` (at `at`) that is not in `known`, with the nearest known key. */
function unknownKeys(c: Checker, at: JsonPath, value: Record<string, unknown>, known: Record<string, Check>, skip: string[] = [], rootOnly?: string[]): void {
  for (const key of Object.keys(value)) {
    if (key in known || skip.includes(key)) continue;
    const path = [...at, key];
    const where = at.length === 0 ? 'turbo.json' : `"${formatPath(at)}"`;
    const message = rootOnly?.includes(key)
      ? `"${key}" can only be set in the root turbo.json; a package configuration may only change "tasks"`
      : `${where} has no key "${key}".${didYouMean(key, Object.keys(known))}`;
    c.problems.push(
      diagnostic('unknown-config-key', message, {
        location: c.doc.locate(path),
        hint: `Known keys here: ${Object.keys(known).sort().join(', ')}. See ${TURBO_DOCS}.`,
      }),
    );
  }
}

function withoutKey<T extends Record<string, unknown>>(r: T, key: string): T {
  const { [key]: _dropped, ...rest } = r;
  return rest as T;
}
