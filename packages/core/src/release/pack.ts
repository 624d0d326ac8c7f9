/**
 * Edge: a project's build output packed into its artifact on disk: a reproducible layer
 * tarball (`NAME-VERSION.tar.gz`) and an OCI image layout (`NAME-VERSION/`) in the artifacts
 * directory, on top of a base image from a layout or a registry when one is set. The image
 * itself is oci.ts's and tar.ts's; building the output first is api/'s.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { diagnostic, KilnError, sha256 } from '../model/index.js';
import { artifactFileName } from './artifacts.js';
import type { ArtifactSettings } from './config.js';
import { collectEntries, readBaseFromLayout, writeLayout, type LayoutBlobSource } from './layout.js';
import { buildImage, type BaseImage, type Image, type Platform } from './oci.js';
import { parseImageReference, pullBaseImage } from './registry.js';
import { writeTar } from './tar.js';

export interface PackInput {
  /** Absolute workspace root. */
  readonly root: string;
  readonly project: string;
  readonly version: string;
  readonly settings: ArtifactSettings;
  /** The build output to pack, repo-relative (see `artifactOutput`). */
  readonly output: string;
  /** Where artifacts go, repo-relative. */
  readonly outputDir: string;
  readonly revision: string;
  /** The commit time, in seconds: every timestamp in the artifact. */
  readonly created: number;
  readonly inputHash: string;
  readonly source?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: (line: string) => void;
}

/** A packed artifact: its image, its repo-relative path stem (`<outputDir>/NAME-VERSION`) and the files of its layer. */
export interface PackedArtifact {
  readonly image: Image;
  readonly stem: string;
  /** Every file in the layer (path in the image → SHA-256 hex), in path order. */
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
}

/** Packs a built project. */
export async function packArtifact(input: PackInput): Promise<PackedArtifact> {
  const { root, project, version, settings, output } = input;
  const st = await stat(join(root, output)).catch(() => undefined);
  if (!st?.isDirectory())
    throw new KilnError(
      diagnostic('artifact-missing-output', `project "${project}": its build output ${output} does not exist after building ${project}:${settings.target}.`, {
        hint: `Check the "outputs" of ${project}:${settings.target}, or set kiln.artifacts.overrides.<project>.path.`,
      }),
      1,
    );

  input.progress?.(`packing ${project}@${version} from ${output}`);
  const entries = await collectEntries(join(root, output), settings.prefix);
  const tar = writeTar(entries, input.created);
  const files = entries.flatMap((e) => (e.type === 'file' ? [{ path: e.path, sha256: sha256(e.data) }] : [])).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const base = settings.base ? await loadBaseImage(root, settings.base, settings.platform, input.env) : undefined;
  const image = buildImage({
    layerTar: tar,
    project,
    version,
    revision: input.revision,
    created: input.created,
    inputHash: input.inputHash,
    ...(input.source && { source: input.source }),
    ...(base && { base: base.image }),
    container: settings.container,
    platform: settings.platform,
  });
  const stem = `${input.outputDir}/${artifactFileName(project)}-${version}`;
  await mkdir(join(root, input.outputDir), { recursive: true });
  await writeLayout(join(root, stem), image, base?.blob);
  await writeFile(join(root, `${stem}.tar.gz`), image.layer.data);
  return { image, stem, files };
}

/** A base image from `oci:DIR[:REF]` (relative to the workspace root) or `[docker://]HOST/NAME:TAG`. */
async function loadBaseImage(root: string, spec: string, platform: Platform, env?: NodeJS.ProcessEnv): Promise<{ image: BaseImage; blob: LayoutBlobSource }> {
  if (spec.startsWith('oci:')) {
    const rest = spec.slice(4);
    return readBaseFromLayout(rest.startsWith('/') ? rest : join(root, rest), platform);
  }
  const ref = parseImageReference(spec.replace(/^docker:\/\//, ''));
  if (!ref || (!ref.tag && !ref.digest))
    throw new KilnError(diagnostic('artifact-bad-base', `base image "${spec}" is neither oci:DIR[:REF] nor HOST/NAME:TAG.`, { location: { file: 'nx.json' } }));
  return pullBaseImage(ref, spec, platform, env);
}
