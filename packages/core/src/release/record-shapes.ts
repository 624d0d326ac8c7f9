/**
 * The shapes of the records kiln reads back, pure: the artifact index (`artifacts.json`) and an
 * environment file (`environments/ENV.json`). Each is rewritten from what is read, so a record of
 * the wrong shape is refused with a located problem for each thing wrong, never guessed at (an
 * environment file holding `[1,2]` was once rewritten as an object). Reading the files is records.ts's.
 */
import { diagnostic, err, ok, type Diagnostic, type DiagnosticCode, type Result } from '../model/index.js';
import type { JsonPath, ParsedJson } from '../workspace/index.js';
import type { ArtifactRecord, EnvironmentFile } from './promote.js';

/** An OCI content digest as kiln writes them. */
const DIGEST = /^sha256:[0-9a-f]{64}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shown = (v: unknown): string => (v === undefined ? 'missing' : `${JSON.stringify(v)}`.slice(0, 80));

/** Collects located problems for one file, all under one code; the hint goes with the first. */
function problems(json: ParsedJson, code: DiagnosticCode, hint: string) {
  const found: Diagnostic[] = [];
  return {
    found,
    add(path: JsonPath, message: string): void {
      found.push(diagnostic(code, message, { location: json.locate(path), ...(found.length === 0 && { hint }) }));
    },
  };
}

const ARTIFACT_STRINGS = ['project', 'version', 'revision', 'inputHash', 'path', 'tarball'] as const;
const ARTIFACT_DIGESTS = ['digest', 'layerDigest'] as const;

/** The records of an artifact index, as `kiln artifact` writes it: `{"artifacts": [record...]}`. */
export function artifactIndexFrom(json: ParsedJson): Result<ArtifactRecord[], Diagnostic[]> {
  const p = problems(json, 'artifact-index-invalid', `It is kiln artifact's record of what it built: repair it, or delete ${json.file} and run kiln artifact again.`);
  const root = json.value;
  if (!isObject(root) || !Array.isArray(root.artifacts)) {
    const found = !isObject(root) ? shown(root) : root.artifacts === undefined ? 'an object without it' : `"artifacts": ${shown(root.artifacts)}`;
    p.add(isObject(root) ? ['artifacts'] : [], `the artifact index must be an object with an "artifacts" list, not ${found}.`);
    return err(p.found);
  }
  root.artifacts.forEach((entry: unknown, i) => {
    const at = `artifacts[${i}]`;
    if (!isObject(entry)) return p.add(['artifacts', i], `${at} must be an object describing one artifact, not ${shown(entry)}.`);
    const missing = [...ARTIFACT_STRINGS, ...ARTIFACT_DIGESTS, 'packages'].filter((key) => entry[key] === undefined);
    if (missing.length > 0) p.add(['artifacts', i], `${at} lacks ${missing.map((k) => `"${k}"`).join(', ')}, which kiln artifact records for every artifact.`);
    for (const key of ARTIFACT_STRINGS)
      if (entry[key] !== undefined && (typeof entry[key] !== 'string' || entry[key] === '')) p.add(['artifacts', i, key], `${at}.${key} must be a non-empty string, not ${shown(entry[key])}.`);
    for (const key of ARTIFACT_DIGESTS)
      if (entry[key] !== undefined && (typeof entry[key] !== 'string' || !DIGEST.test(entry[key] as string))) p.add(['artifacts', i, key], `${at}.${key} must be a digest ("sha256:" and 64 hex digits), not ${shown(entry[key])}.`);
    if (entry.packages !== undefined && !(isObject(entry.packages) && Object.values(entry.packages).every((v) => typeof v === 'string')))
      p.add(['artifacts', i, 'packages'], `${at}.packages must map each package to its version, not ${shown(entry.packages)}.`);
    if (entry.pushed !== undefined && !(Array.isArray(entry.pushed) && entry.pushed.every((v) => typeof v === 'string')))
      p.add(['artifacts', i, 'pushed'], `${at}.pushed must be a list of image references, not ${shown(entry.pushed)}.`);
  });
  return p.found.length > 0 ? err(p.found) : ok(root.artifacts as ArtifactRecord[]);
}

/** An environment file, as `kiln promote` writes it: `{"PROJECT": {"version", "digest"}, ...}` (other keys of an entry are kept). */
export function environmentFileFrom(json: ParsedJson): Result<EnvironmentFile, Diagnostic[]> {
  const p = problems(json, 'environment-invalid', `Each entry is "PROJECT": {"version": "1.2.3", "digest": "sha256:..."}, as kiln promote writes it; kiln leaves ${json.file} as it is until it is repaired.`);
  const root = json.value;
  if (!isObject(root)) {
    p.add([], `an environment file must be an object with an entry per project, not ${shown(root)}.`);
    return err(p.found);
  }
  for (const [project, entry] of Object.entries(root)) {
    if (!isObject(entry)) {
      p.add([project], `the entry for "${project}" must be an object with "version" and "digest", not ${shown(entry)}.`);
      continue;
    }
    if (typeof entry.version !== 'string' || entry.version === '') p.add([project, 'version'], `the "version" of "${project}" must be a non-empty string, not ${shown(entry.version)}.`);
    if (typeof entry.digest !== 'string' || !DIGEST.test(entry.digest)) p.add([project, 'digest'], `the "digest" of "${project}" must be a digest ("sha256:" and 64 hex digits), not ${shown(entry.digest)}.`);
  }
  return p.found.length > 0 ? err(p.found) : ok(root as EnvironmentFile);
}
