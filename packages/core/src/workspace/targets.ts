/**
 * Targets the way Nx normalises them: `command` shorthand → `nx:run-commands`, package.json scripts
 * → `nx:run-script`, `{projectRoot}`/`{projectName}` tokens in options, and nx.json `targetDefaults`
 * merged in (looked up by executor, then by target name, then by the longest matching glob), and one
 * project configuration merged over another. Pure.
 */
import micromatch from 'micromatch';
import type { TargetConfiguration } from '@nx/devkit';
import { isObject } from './validate.js';

type Target = TargetConfiguration & { command?: string };

/** `{ command: "x" }` → `{ executor: "nx:run-commands", options: { command: "x" } }`. */
export function resolveCommandShorthand(target: Target): TargetConfiguration {
  if (target.command === undefined || target.executor) return target;
  const { command, ...rest } = target;
  return { ...rest, executor: 'nx:run-commands', options: { ...rest.options, command } };
}

/** The target that `npm run <script>` would be, in Nx's shape. */
export function scriptTarget(script: string, scripts: Record<string, string>, runCommand: string): TargetConfiguration {
  return { executor: 'nx:run-script', options: { script }, metadata: { scriptContent: scripts[script], runCommand } };
}

/** Nx's rule for when two target definitions describe the same thing and may be merged. */
export function isCompatibleTarget(a: TargetConfiguration, b: TargetConfiguration): boolean {
  if (!a.executor || !b.executor) return true;
  if (a.executor !== b.executor) return false;
  if (a.executor === 'nx:run-commands') {
    const ac = a.options?.command ?? a.options?.commands?.join?.(' && ');
    const bc = b.options?.command ?? b.options?.commands?.join?.(' && ');
    return !ac || !bc || ac === bc;
  }
  if (a.executor === 'nx:run-script') return !a.options?.script || !b.options?.script || a.options.script === b.options.script;
  return true;
}

/** Merges `target` over `base` (project.json over package.json, package.json `nx.targets` over scripts). */
export function mergeTargets(target: TargetConfiguration, base: TargetConfiguration | undefined): TargetConfiguration {
  if (!base) return target;
  const compatible = isCompatibleTarget(base, target);
  const { options: baseOptions, configurations: baseConfigurations, ...baseRest } = base;
  const result: TargetConfiguration = { ...(compatible ? baseRest : {}), ...target };
  if (target.options || (compatible && baseOptions)) result.options = { ...(compatible ? baseOptions : {}), ...target.options };
  if (target.configurations || (compatible && baseConfigurations)) {
    const merged: Record<string, Record<string, unknown>> = {};
    const from = compatible ? (baseConfigurations ?? {}) : {};
    for (const name of new Set([...Object.keys(from), ...Object.keys(target.configurations ?? {})]))
      merged[name] = { ...from[name], ...target.configurations?.[name] };
    result.configurations = merged;
  }
  if (target.metadata || base.metadata) result.metadata = { ...base.metadata, ...target.metadata };
  return result;
}

/** The targetDefaults entry that applies to a target: by executor, then by name, then the longest glob. */
export function targetDefaultsFor(
  targetName: string,
  executor: string | undefined,
  targetDefaults: Record<string, Partial<TargetConfiguration>> | undefined,
): Partial<TargetConfiguration> | undefined {
  if (!targetDefaults) return undefined;
  if (executor && targetDefaults[executor]) return targetDefaults[executor];
  if (targetDefaults[targetName]) return targetDefaults[targetName];
  let best: string | undefined;
  for (const key of Object.keys(targetDefaults))
    if (/[*?[\]{}!]/.test(key) && micromatch.isMatch(targetName, key) && (best === undefined || key.length > best.length)) best = key;
  return best === undefined ? undefined : targetDefaults[best];
}

/**
 * Fills what the target leaves undefined from its defaults (options and configurations key by key).
 * Copies only the containers it changes: values taken from the defaults are shared, and treated
 * as read-only like the rest of the configuration.
 */
export function applyTargetDefaults(target: TargetConfiguration, defaults: Partial<TargetConfiguration>): TargetConfiguration {
  const result: TargetConfiguration = { ...target };
  for (const key of Object.keys(defaults) as (keyof TargetConfiguration)[]) {
    if (key === 'options') {
      result.options = { ...target.options };
      for (const [k, v] of Object.entries(defaults.options ?? {})) if (target.options?.[k] === undefined) result.options[k] = v;
    } else if (key === 'configurations') {
      result.configurations = { ...target.configurations };
      for (const [conf, values] of Object.entries(defaults.configurations ?? {})) {
        const into = (result.configurations[conf] = { ...result.configurations[conf] });
        for (const [k, v] of Object.entries(values ?? {})) if (target.configurations?.[conf]?.[k] === undefined) into[k] = v;
      }
    } else if (target[key] === undefined) {
      (result as Record<string, unknown>)[key] = defaults[key];
    }
  }
  return result;
}

/** `{workspaceRoot}/` dropped at the start, `{projectRoot}` and `{projectName}` substituted, recursively. */
export function resolveTokens<T>(value: T, project: { root: string; name: string }): T {
  if (typeof value === 'string') {
    if (!value.includes('{')) return value;
    return value
      .replace(/^\{workspaceRoot\}\/?/, '')
      .replace(/\{projectRoot\}/g, project.root)
      .replace(/\{projectName\}/g, project.name) as T;
  }
  if (Array.isArray(value)) return value.map((v) => resolveTokens(v, project)) as T;
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveTokens(v, project)])) as T;
  return value;
}

/**
 * The final form of a project's targets: shorthand resolved, tokens in options resolved, defaults
 * applied; a target that runs nothing is dropped, or becomes `nx:noop` when it only has dependsOn.
 */
export function normalizeTargets(
  targets: Record<string, Target>,
  project: { root: string; name: string },
  targetDefaults: Record<string, Partial<TargetConfiguration>> | undefined,
): Record<string, TargetConfiguration> {
  const out: Record<string, TargetConfiguration> = {};
  for (const name of Object.keys(targets)) {
    let target = normalizeOne(targets[name]!, project);
    const defaults = targetDefaultsFor(name, target.executor, targetDefaults);
    if (defaults && isCompatibleTarget(target, defaults)) target = applyTargetDefaults(target, normalizeOne(defaults as Target, project));
    if (!target.executor && !(target as Target).command) {
      if (target.dependsOn && target.dependsOn.length > 0) target.executor = 'nx:noop';
      else continue;
    }
    out[name] = target;
  }
  return out;
}

function normalizeOne(target: Target, project: { root: string; name: string }): TargetConfiguration {
  const t = resolveCommandShorthand(target);
  const result: TargetConfiguration = { ...t };
  if (t.options) result.options = resolveTokens(t.options, project);
  if (t.configurations) result.configurations = resolveTokens(t.configurations, project);
  return result;
}

/**
 * One project configuration over another, as Nx merges plugin results by root (project.json over
 * package.json over inferred): tags union, implicitDependencies concatenated, targets merged, the rest overwritten.
 */
export function mergeProjectConfig(base: Record<string, any>, over: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    switch (k) {
      case 'tags':
        out.tags = [...new Set([...(base.tags ?? []), ...v])];
        break;
      case 'implicitDependencies':
        out.implicitDependencies = [...(base.implicitDependencies ?? []), ...v];
        break;
      case 'namedInputs':
      case 'metadata':
        out[k] = { ...base[k], ...v };
        break;
      case 'targets': {
        const targets: Record<string, TargetConfiguration> = { ...base.targets };
        for (const [name, t] of Object.entries(v as Record<string, TargetConfiguration>)) targets[name] = mergeTargets(t, targets[name]);
        out.targets = targets;
        break;
      }
      default:
        out[k] = v;
    }
  }
  return out;
}
