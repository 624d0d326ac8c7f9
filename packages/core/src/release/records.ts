/**
 * Edge: the records kiln keeps in the workspace as JSON: the artifact index
 * (`<outputDir>/artifacts.json`, written by `kiln artifact`) and the environment files
 * (`environments/ENV.json`, written by `kiln promote`). What goes in them is artifacts.ts's and
 * promote.ts's.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { diagnostic, KilnError, type Diagnostic, type DiagnosticCode, type Result } from '../model/index.js';
import { parseJson, type ParsedJson } from '../workspace/index.js';
import { ARTIFACT_INDEX, artifactIndexText } from './artifacts.js';
import type { ReleaseContext } from './context.js';
import type { ArtifactRecord, EnvironmentFile } from './promote.js';
import { artifactIndexFrom, environmentFileFrom } from './record-shapes.js';

export const ENVIRONMENTS_DIR = 'environments';

/**
 * A record file read and checked by `shape`, or undefined when there is none. Only a missing file
 * is "none": one that cannot be read, is not JSON or has the wrong shape is an error `code` at the
 * file (exit 2), so that kiln never writes over what it could not read.
 */
async function readRecord<T>(root: string, file: string, code: DiagnosticCode, shape: (json: ParsedJson) => Result<T, Diagnostic[]>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(join(root, file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KilnError(diagnostic(code, `${file} cannot be read: ${(error as Error).message}`, { location: { file } }));
  }
  const parsed = parseJson(text, file);
  if (!parsed.ok) throw new KilnError(parsed.error.map((d) => ({ ...d, code })));
  const shaped = shape(parsed.value);
  if (!shaped.ok) throw new KilnError(shaped.error);
  return shaped.value;
}

/** The artifacts `kiln artifact` has recorded in `outputDir` (none when there is no index yet). */
export async function readArtifactIndex(ctx: ReleaseContext, outputDir: string): Promise<ArtifactRecord[]> {
  return (await readRecord(ctx.root, `${outputDir}/${ARTIFACT_INDEX}`, 'artifact-index-invalid', artifactIndexFrom)) ?? [];
}

export async function writeArtifactIndex(root: string, outputDir: string, index: readonly ArtifactRecord[]): Promise<void> {
  await writeFile(join(root, outputDir, ARTIFACT_INDEX), artifactIndexText(index));
}

/** `environments/ENV.json`, or undefined when the environment has none yet. */
export async function readEnvironment(root: string, environment: string): Promise<EnvironmentFile | undefined> {
  return readRecord(root, `${ENVIRONMENTS_DIR}/${environment}.json`, 'environment-invalid', environmentFileFrom);
}

/** Writes `environments/ENV.json`; returns its repo-relative path. */
export async function writeEnvironment(root: string, environment: string, file: EnvironmentFile): Promise<string> {
  const path = `${ENVIRONMENTS_DIR}/${environment}.json`;
  await mkdir(join(root, ENVIRONMENTS_DIR), { recursive: true });
  await writeFile(join(root, path), `${JSON.stringify(file, null, 2)}\n`);
  return path;
}
