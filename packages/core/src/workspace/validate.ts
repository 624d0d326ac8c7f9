/**
 * Shape checks for Nx's config files. Unknown keys are ignored (Nx and its plugins add many);
 * a known key with the wrong type is an error located at that key. Every problem is collected.
 * Pure.
 */
import { diagnostic, type Diagnostic, type DiagnosticCode } from '../model/diagnostic.js'; // not the index: on `kiln run`'s fast path
import type { JsonPath, ParsedJson } from './json.js';

export type Check = (value: unknown) => string | undefined;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const describeValue = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`);

export const string: Check = (v) => (typeof v === 'string' ? undefined : `must be a string, not ${describeValue(v)}`);
export const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : `must be true or false, not ${describeValue(v)}`);
export const object: Check = (v) => (isObject(v) ? undefined : `must be an object, not ${describeValue(v)}`);
export const array: Check = (v) => (Array.isArray(v) ? undefined : `must be an array, not ${describeValue(v)}`);
export const stringArray: Check = (v) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? undefined : `must be an array of strings, not ${Array.isArray(v) ? 'an array holding ' + describeValue(v.find((x) => typeof x !== 'string')) : describeValue(v)}`;
export const stringRecord: Check = (v) => {
  if (!isObject(v)) return `must be an object of strings, not ${describeValue(v)}`;
  const bad = Object.entries(v).find(([, x]) => typeof x !== 'string');
  return bad ? `must map names to strings, but "${bad[0]}" is ${describeValue(bad[1])}` : undefined;
};
export const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    typeof v === 'string' && allowed.includes(v) ? undefined : `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, not ${describeValue(v)}`;
export const either =
  (a: Check, b: Check, what: string): Check =>
  (v) =>
    a(v) === undefined || b(v) === undefined ? undefined : `must be ${what}, not ${describeValue(v)}`;

/** Collects located diagnostics for one parsed file. */
export class Checker {
  readonly problems: Diagnostic[] = [];
  /** `reference` is where a person finds the expected shape (named in each hint). */
  constructor(
    readonly doc: ParsedJson,
    readonly reference = 'https://nx.dev/reference',
  ) {}

  /** Checks `value` (found at `path`) and records a problem; returns whether it passed. */
  check(path: JsonPath, value: unknown, check: Check): boolean {
    if (value === undefined) return true;
    const problem = check(value);
    if (problem === undefined) return true;
    this.report(path, `"${formatPath(path)}" ${problem}`);
    return false;
  }

  report(path: JsonPath, message: string, code: DiagnosticCode = 'invalid-config'): void {
    this.problems.push(
      diagnostic(code, message, { location: this.doc.locate(path), hint: `Fix "${formatPath(path)}" in ${this.doc.file}; see ${this.reference} for the expected shape.` }),
    );
  }

  /** Checks the listed fields of the object at `path`. */
  fields(path: JsonPath, value: unknown, checks: Record<string, Check>): value is Record<string, unknown> {
    if (!this.check(path, value, object)) return false;
    if (!isObject(value)) return false;
    for (const [key, check] of Object.entries(checks)) this.check([...path, key], value[key], check);
    return true;
  }
}

export function formatPath(path: JsonPath): string {
  return path.length === 0 ? '(top level)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[');
}

/** A target in project.json, package.json `nx.targets` or nx.json `targetDefaults`. */
export function checkTarget(c: Checker, path: JsonPath, target: unknown): void {
  if (
    !c.fields(path, target, {
      executor: string,
      command: either(string, stringArray, 'a string'),
      options: object,
      configurations: object,
      dependsOn: array,
      inputs: array,
      outputs: stringArray,
      cache: boolean,
      parallelism: boolean,
      continuous: boolean,
      defaultConfiguration: string,
      syncGenerators: stringArray,
    })
  )
    return;
  const t = target as Record<string, unknown>;
  if (isObject(t.configurations)) for (const [name, conf] of Object.entries(t.configurations)) c.check([...path, 'configurations', name], conf, object);
  if (Array.isArray(t.dependsOn))
    t.dependsOn.forEach((d, i) => c.check([...path, 'dependsOn', i], d, either(string, object, 'a target name or an object like {"target": "build", "projects": "dependencies"}')));
  if (typeof t.executor === 'string' && t.command !== undefined)
    c.report([...path, 'command'], `"${formatPath(path)}" has both "executor" and "command"; a target runs one or the other`);
}

function checkTargets(c: Checker, path: JsonPath, targets: unknown): void {
  if (!c.check(path, targets, object) || !isObject(targets)) return;
  for (const [name, t] of Object.entries(targets)) checkTarget(c, [...path, name], t);
}

function checkNamedInputs(c: Checker, path: JsonPath, inputs: unknown): void {
  if (!c.check(path, inputs, object) || !isObject(inputs)) return;
  for (const [name, list] of Object.entries(inputs)) c.check([...path, name], list, array);
}

/** The project fields shared by project.json and package.json's `nx`. */
export function checkProjectFields(c: Checker, path: JsonPath, p: unknown): void {
  if (
    !c.fields(path, p, {
      name: string,
      root: string,
      sourceRoot: string,
      projectType: oneOf('application', 'library'),
      tags: stringArray,
      implicitDependencies: stringArray,
      includedScripts: stringArray,
    })
  )
    return;
  const o = p as Record<string, unknown>;
  checkTargets(c, [...path, 'targets'], o.targets);
  checkNamedInputs(c, [...path, 'namedInputs'], o.namedInputs);
}

export function checkNxJson(c: Checker): void {
  const v = c.doc.value;
  if (!c.fields([], v, { namedInputs: object, targetDefaults: object, plugins: array, pluginsConfig: object, workspaceLayout: object, defaultBase: string, release: object, owners: either(boolean, object, 'true or an object like {"format": "github", "patterns": [...]}'), implicitDependencies: object }))
    return;
  const nx = v as Record<string, unknown>;
  checkNamedInputs(c, ['namedInputs'], nx.namedInputs);
  checkTargets(c, ['targetDefaults'], nx.targetDefaults);
  c.fields(['workspaceLayout'], nx.workspaceLayout ?? {}, { appsDir: string, libsDir: string });
}

export const dependencyKinds = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

export function checkPackageJson(c: Checker): void {
  const v = c.doc.value;
  if (!c.fields([], v, { name: string, version: string, scripts: stringRecord, keywords: stringArray, main: string, dependencies: stringRecord, devDependencies: stringRecord, peerDependencies: stringRecord, optionalDependencies: stringRecord }))
    return;
  const pkg = v as Record<string, unknown>;
  if (pkg.workspaces !== undefined) {
    if (isObject(pkg.workspaces)) c.check(['workspaces', 'packages'], pkg.workspaces.packages, stringArray);
    else c.check(['workspaces'], pkg.workspaces, either(stringArray, object, 'an array of globs or an object like {"packages": [...]}'));
  }
  if (pkg.nx !== undefined) checkProjectFields(c, ['nx'], pkg.nx);
}

export function checkProjectJson(c: Checker): void {
  checkProjectFields(c, [], c.doc.value);
}

export function checkPnpmWorkspace(c: Checker): void {
  c.fields([], c.doc.value ?? {}, { packages: stringArray });
}

export function checkLernaJson(c: Checker): void {
  c.fields([], c.doc.value, { packages: stringArray });
}
