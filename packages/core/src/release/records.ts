/**
 * Edge: the records kiln keeps in the workspace as JSON: the artifact index
 * (`<outputDir>/artifacts.json`, written by `kiln artifact`) and the environment files
 * (`environments/ENV.json`, written by `kiln promote`). What goes in them is artifacts.ts's and
 * promote.ts's.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { diagnostic, KilnError, type DiagnosticCode } from '../model/index.js';
import { ARTIFACT_INDEX, artifactIndexText } from './artifacts.js';
import type { ReleaseContext } from './context.js';
import type { ArtifactRecord, EnvironmentFile } from './promote.js';

export const ENVIRONMENTS_DIR = 'environments';

/** The parsed JSON of a workspace file, or undefined when it cannot be read; not JSON is an error `code` at the file. */
async function readJson(root: string, file: string, code: DiagnosticCode): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(join(root, file), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new KilnError(diagnostic(code, `${file} is not valid JSON.`, { location: { file } }));
  }
}

/** The artifacts `kiln artifact` has recorded in `outputDir` (none when there is no index yet). */
export async function readArtifactIndex(ctx: ReleaseContext, outputDir: string): Promise<ArtifactRecord[]> {
  const parsed = (await readJson(ctx.root, `${outputDir}/${ARTIFACT_INDEX}`, 'artifact-index-invalid')) as { artifacts?: ArtifactRecord[] } | undefined;
  if (parsed === undefined) return [];
  return parsed.artifacts ?? [];
}

export async function writeArtifactIndex(root: string, outputDir: string, index: readonly ArtifactRecord[]): Promise<void> {
  await writeFile(join(root, outputDir, ARTIFACT_INDEX), artifactIndexText(index));
}

/** `environments/ENV.json`, or undefined when the environment has none yet. */
export async function readEnvironment(root: string, environment: string): Promise<EnvironmentFile | undefined> {
  return (await readJson(root, `${ENVIRONMENTS_DIR}/${environment}.json`, 'environment-invalid')) as EnvironmentFile | undefined;
}

/** Writes `environments/ENV.json`; returns its repo-relative path. */
export async function writeEnvironment(root: string, environment: string, file: EnvironmentFile): Promise<string> {
  const path = `${ENVIRONMENTS_DIR}/${environment}.json`;
  await mkdir(join(root, ENVIRONMENTS_DIR), { recursive: true });
  await writeFile(join(root, path), `${JSON.stringify(file, null, 2)}\n`);
  return path;
}
