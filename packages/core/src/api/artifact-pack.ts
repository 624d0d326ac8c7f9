/**
 * `kiln artifact` on a loaded workspace, with the build injected (`build`: the task runner, see
 * artifact.ts): build the selected services once, then pack each build output into a
 * reproducible tarball and OCI image layout (release/pack.ts) with its SBOM and provenance
 * attached (release/attestations.ts), optionally push it all (release/registry.ts), and record it
 * in `artifacts.json` (release/records.ts). Names, output
 * paths and the index's rules are release/artifacts.ts's.
 */
import { join } from 'node:path';
import { diagnostic, KilnError } from '../model/index.js';
import { commitTime, hasTrackedChanges, originUrl, resolveCommit, tagsMergedInto } from '../scm/index.js';
import {
  artifactOutput,
  attestArtifact,
  currentVersion,
  dependencyClosure,
  formatSemVer,
  normaliseSourceUrl,
  packArtifact,
  projectRepository,
  pushWithReferrers,
  pushDestination,
  pushRepository,
  readArtifactIndex,
  recordArtifact,
  writeArtifactIndex,
  type ArtifactRecord,
  type ReleaseContext,
} from '../release/index.js';
import { buildAll, type BuildStep } from './artifact-build.js';
import { releaseConfig, requireProjects } from './release-load.js';

export type { BuildStep } from './artifact-build.js';

export interface ArtifactOptions {
  /** Projects to pack; default: the configured artifact projects. */
  readonly projects?: readonly string[];
  /** `HOST/NAME`, where NAME may hold `{projectName}`; default nx.json `kiln.registry` when `push` is true. */
  readonly push?: string | true;
  readonly build: BuildStep;
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: (line: string) => void;
  readonly warn?: (line: string) => void;
}

export interface ArtifactSummary {
  readonly project: string;
  readonly version: string;
  readonly digest: string;
  /** The OCI layout, repo-relative. */
  readonly path: string;
  readonly inputHash: string;
  readonly pushed?: string;
}

export interface ArtifactResult {
  readonly artifacts: readonly ArtifactSummary[];
}

export async function artifactIn(ctx: ReleaseContext, options: ArtifactOptions): Promise<ArtifactResult> {
  const config = releaseConfig(ctx);
  const selected = requireProjects(ctx, options.projects ?? config.artifacts.projects);
  if (selected.length === 0) return { artifacts: [] };
  // Everything that can be checked is checked before building or packing anything.
  const destination = pushDestination(options.push, config.registry, selected.length);
  if (!destination.ok) throw new KilnError(destination.error);
  const pushTarget = destination.value;
  const badRepositories = pushTarget === undefined ? [] : selected.map((p) => pushRepository(projectRepository(pushTarget, p.name))).flatMap((r) => (r.ok ? [] : [r.error]));
  if (badRepositories.length > 0) throw new KilnError(badRepositories);
  const outputDir = config.artifacts.outputDir;
  await readArtifactIndex(ctx, outputDir); // a malformed index fails here; it is read again after the build, which may be long

  const revision = await resolveCommit(ctx.root, 'HEAD');
  if (!revision) throw new KilnError(diagnostic('artifact-no-commit', 'kiln artifact needs a commit: the artifact is stamped with its revision and commit time.'));
  // What the artifacts are stamped with is asked of git while the build runs.
  const stamp = Promise.all([commitTime(ctx.root, revision), config.artifacts.source === undefined ? originUrl(ctx.root) : undefined, tagsMergedInto(ctx.root), hasTrackedChanges(ctx.root)]);
  stamp.catch(() => undefined);
  const built = await buildAll(config, selected, options.build);
  const [created, origin, tags, dirty] = await stamp;
  const source = config.artifacts.source === undefined ? normaliseSourceUrl(origin) : config.artifacts.source || undefined;
  if (dirty) options.warn?.(`the work tree has uncommitted changes; artifacts are stamped with ${revision.slice(0, 12)}, which does not hold them.`);

  let index = await readArtifactIndex(ctx, outputDir);
  const summaries: ArtifactSummary[] = [];
  const versions = new Map<string, string>();
  const versionOf = async (name: string) => {
    if (!versions.has(name)) versions.set(name, formatSemVer((await currentVersion(ctx, config, ctx.projects.find((p) => p.name === name)!, tags)).version));
    return versions.get(name)!;
  };

  for (const project of selected) {
    const settings = config.artifacts.settings(project.name);
    const version = await versionOf(project.name);
    const output = artifactOutput(project, settings);
    if (!output.ok) throw new KilnError(output.error);
    const inputHash = built.get(project.name)!.hash;
    const { image, stem, files } = await packArtifact({
      root: ctx.root,
      project: project.name,
      version,
      settings,
      output: output.value,
      outputDir,
      revision,
      created,
      inputHash,
      ...(source && { source }),
      ...(options.env && { env: options.env }),
      ...(options.progress && { progress: options.progress }),
    });

    const packages: Record<string, string> = {};
    for (const n of dependencyClosure(ctx, project.name)) packages[n] = await versionOf(n);
    const { sbom, provenance, referrers } = await attestArtifact(ctx, project, { settings, stem, version, image, files, created, revision, inputHash, versions: packages, ...(source && { source }), ...(options.warn && { warn: options.warn }) });
    const pushTo = pushTarget === undefined ? undefined : projectRepository(pushTarget, project.name);
    const pushed = pushTo === undefined ? undefined : await pushWithReferrers(join(ctx.root, stem), image, pushTo, version, referrers, options);
    const record: ArtifactRecord = {
      project: project.name,
      version,
      digest: image.manifest.digest,
      revision,
      inputHash,
      path: stem,
      tarball: `${stem}.tar.gz`,
      layerDigest: image.layer.digest,
      packages,
      ...(pushed && { pushed: [pushed] }),
      sbom: sbom.path,
      provenance: provenance.path,
    };
    const recorded = recordArtifact(index, record);
    if (recorded.replacedDigest !== undefined)
      options.warn?.(`${project.name}@${version} was built before with other contents (${recorded.replacedDigest}); the index now records ${record.digest}. Release a new version before promoting changed code.`);
    index = recorded.index;
    summaries.push({ project: project.name, version, digest: record.digest, path: stem, inputHash, ...(pushed && { pushed }) });
  }

  await writeArtifactIndex(ctx.root, outputDir, index);
  return { artifacts: summaries };
}
