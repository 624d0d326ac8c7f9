/**
 * `kiln artifact`: build each service once (through the task runner and its cache, injected as
 * `build`), pack its build output into a reproducible tarball and OCI image layout under
 * `dist/artifacts/`, index it in `artifacts.json`, and optionally push it to a registry.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { diagnostic, KilnError, toRepoPath } from '../model/index.js';
import { commitTime, hasTrackedChanges, originUrl, resolveCommit, tagsMergedInto } from '../scm/index.js';
import {
  buildImage,
  collectEntries,
  findCredentials,
  formatSemVer,
  MEDIA,
  normaliseSourceUrl,
  parseImageReference,
  parseManifest,
  pushImage,
  readBaseFromLayout,
  readLayoutBlob,
  RegistryClient,
  selectManifest,
  writeLayout,
  writeTar,
  currentVersion,
  dependencyClosure,
  type ReleaseContext,
  type ArtifactRecord,
  type BaseImage,
  type ImageIndex,
  type LayoutBlobSource,
  type Platform,
} from '../release/index.js';
import { loadReleaseContext, releaseConfig, requireProjects } from './release-load.js';
import { run } from './run.js';
import { affected } from './affected.js';

/** Runs `target` for `projects` through the cache; a project's entry holds the task hash of its build. */
export type BuildStep = (projects: readonly string[], target: string) => Promise<ReadonlyMap<string, { readonly hash: string; readonly status: string; readonly cache?: string }>>;

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

export const ARTIFACT_INDEX = 'artifacts.json';

/** `@shop/catalog` → `shop__catalog`: one path segment, no `@`. */
export function artifactFileName(project: string): string {
  return project.replace(/^@/, '').replace(/\//g, '__');
}

/** `@shop/catalog` → `shop/catalog`: a valid OCI repository path. */
export function repositoryName(project: string): string {
  return project.replace(/^@/, '').toLowerCase().replace(/[^a-z0-9._/-]/g, '-');
}

export async function readArtifactIndex(ctx: ReleaseContext, outputDir: string): Promise<ArtifactRecord[]> {
  const file = join(ctx.root, outputDir, ARTIFACT_INDEX);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  try {
    const parsed = JSON.parse(text) as { artifacts?: ArtifactRecord[] };
    return parsed.artifacts ?? [];
  } catch {
    throw new KilnError(diagnostic('artifact-index-invalid', `${outputDir}/${ARTIFACT_INDEX} is not valid JSON.`, { location: { file: `${outputDir}/${ARTIFACT_INDEX}` } }));
  }
}

export async function artifactIn(ctx: ReleaseContext, options: ArtifactOptions): Promise<ArtifactResult> {
  const config = releaseConfig(ctx);
  const names = options.projects ?? config.artifacts.projects;
  const selected = requireProjects(ctx, names);
  if (selected.length === 0) return { artifacts: [] };
  const pushTarget = options.push === true ? config.registry : options.push;
  if (options.push === true && !pushTarget)
    throw new KilnError(diagnostic('artifact-no-registry', '--push needs a destination.', { hint: 'Pass --push HOST/NAME or set "kiln.registry" in nx.json.' }));
  if (pushTarget !== undefined && selected.length > 1 && !pushTarget.includes('{projectName}'))
    throw new KilnError(
      diagnostic('artifact-push-ambiguous', `--push ${pushTarget} names one repository, but ${selected.length} projects are being packed.`, {
        hint: 'Put {projectName} in it, e.g. registry.example.com/shop/{projectName}.',
      }),
    );

  const revision = await resolveCommit(ctx.root, 'HEAD');
  if (!revision) throw new KilnError(diagnostic('artifact-no-commit', 'kiln artifact needs a commit: the artifact is stamped with its revision and commit time.'));
  const created = await commitTime(ctx.root, revision);
  const source = config.artifacts.source === undefined ? normaliseSourceUrl(await originUrl(ctx.root)) : config.artifacts.source || undefined;
  const tags = await tagsMergedInto(ctx.root);
  if (await hasTrackedChanges(ctx.root)) options.warn?.(`the work tree has uncommitted changes; artifacts are stamped with ${revision.slice(0, 12)}, which does not hold them.`);

  // Build everything first, in one run, so the runner can schedule and cache across projects.
  const targets = new Map(selected.map((p) => [p.name, config.artifacts.settings(p.name).target]));
  const built = new Map<string, { hash: string; status: string }>();
  for (const target of [...new Set(targets.values())].sort()) {
    const names = selected.filter((p) => targets.get(p.name) === target).map((p) => p.name);
    const missing = names.filter((n) => !(target in (ctx.projects.find((p) => p.name === n)!.targets)));
    if (missing.length > 0)
      throw new KilnError(missing.map((n) => diagnostic('artifact-no-build-target', `project "${n}" has no "${target}" target to build its artifact with.`, { hint: 'Add the target, or set kiln.artifacts.overrides.<project>.target in nx.json.' })));
    const results = await options.build(names, target);
    for (const n of names) {
      const r = results.get(n);
      if (!r || r.status === 'failure' || r.status === 'skipped')
        throw new KilnError(diagnostic('artifact-build-failed', `building ${n}:${target} ${r ? r.status === 'skipped' ? 'was skipped' : 'failed' : 'did not run'}, so there is no artifact to pack.`), 1);
      built.set(n, r);
    }
  }

  const outputDir = config.artifacts.outputDir;
  const index = await readArtifactIndex(ctx, outputDir);
  const summaries: ArtifactSummary[] = [];
  const versions = new Map<string, string>();
  const versionOf = async (name: string) => {
    if (!versions.has(name)) versions.set(name, formatSemVer((await currentVersion(ctx, config, ctx.projects.find((p) => p.name === name)!, tags)).version));
    return versions.get(name)!;
  };

  for (const project of selected) {
    const settings = config.artifacts.settings(project.name);
    const version = await versionOf(project.name);
    const outputPattern = settings.path ?? project.targets[settings.target]?.outputs?.[0] ?? '{projectRoot}/dist';
    const outputPath = toRepoPath(outputPattern.replace(/\{projectRoot\}/g, project.root || '.').replace(/\{workspaceRoot\}\/?/g, ''));
    if (outputPath === undefined || outputPath === '' || /[*?{}[\]]/.test(outputPath))
      throw new KilnError(diagnostic('artifact-bad-output', `project "${project.name}": the build output "${outputPattern}" is not one directory inside the workspace.`, { hint: 'Set kiln.artifacts.overrides.<project>.path to the directory to pack.' }));
    const outputAbs = join(ctx.root, outputPath);
    const st = await stat(outputAbs).catch(() => undefined);
    if (!st?.isDirectory())
      throw new KilnError(diagnostic('artifact-missing-output', `project "${project.name}": its build output ${outputPath} does not exist after building ${project.name}:${settings.target}.`, { hint: `Check the "outputs" of ${project.name}:${settings.target}, or set kiln.artifacts.overrides.<project>.path.` }), 1);

    options.progress?.(`packing ${project.name}@${version} from ${outputPath}`);
    const tar = writeTar(await collectEntries(outputAbs, settings.prefix), created);
    const base = settings.base ? await loadBase(ctx, settings.base, settings.platform, options.env) : undefined;
    const inputHash = built.get(project.name)!.hash;
    const image = buildImage({
      layerTar: tar,
      project: project.name,
      version,
      revision,
      created,
      inputHash,
      ...(source && { source }),
      ...(base && { base: base.image }),
      container: settings.container,
      platform: settings.platform,
    });
    const stem = `${outputDir}/${artifactFileName(project.name)}-${version}`;
    await mkdir(join(ctx.root, outputDir), { recursive: true });
    await writeLayout(join(ctx.root, stem), image, base?.blob);
    await writeFile(join(ctx.root, `${stem}.tar.gz`), image.layer.data);

    const packages: Record<string, string> = {};
    for (const n of dependencyClosure(ctx, project.name)) packages[n] = await versionOf(n);
    let pushed: string | undefined;
    if (pushTarget !== undefined) {
      const where = pushTarget.replace(/\{projectName\}/g, repositoryName(project.name));
      pushed = await push(ctx.root, stem, image, where, version, options);
    }
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
    };
    const previous = index.findIndex((a) => a.project === project.name && a.version === version);
    if (previous >= 0) {
      const old = index[previous]!;
      if (old.digest !== record.digest)
        options.warn?.(`${project.name}@${version} was built before with other contents (${old.digest}); the index now records ${record.digest}. Release a new version before promoting changed code.`);
      const keep = old.digest === record.digest ? [...(old.pushed ?? []), ...(record.pushed ?? [])] : [...(record.pushed ?? [])];
      index[previous] = { ...record, ...(keep.length && { pushed: [...new Set(keep)].sort() }) };
    } else index.push(record);
    summaries.push({ project: project.name, version, digest: record.digest, path: stem, inputHash, ...(pushed && { pushed }) });
  }

  index.sort((a, b) => (a.project === b.project ? (a.version < b.version ? -1 : 1) : a.project < b.project ? -1 : 1));
  await writeFile(join(ctx.root, outputDir, ARTIFACT_INDEX), `${JSON.stringify({ artifacts: index }, null, 2)}\n`);
  return { artifacts: summaries };
}

async function push(
  root: string,
  stem: string,
  image: ReturnType<typeof buildImage>,
  where: string,
  version: string,
  options: ArtifactOptions,
): Promise<string> {
  const ref = parseImageReference(where);
  if (!ref || ref.tag || ref.digest)
    throw new KilnError(diagnostic('artifact-bad-registry', `"${where}" is not HOST/NAME (the tag is the version).`, { hint: 'e.g. --push registry.example.com/shop/catalog' }));
  const client = new RegistryClient(ref, await findCredentials(ref.registry, options.env), { insecure: options.env?.KILN_REGISTRY_INSECURE === '1' });
  const existing = await client.manifestDigest(version);
  if (existing !== undefined && existing !== image.manifest.digest)
    throw new KilnError(
      diagnostic('registry-tag-exists', `${ref.registry}/${ref.repository}:${version} already holds ${existing}, not this build (${image.manifest.digest}).`, {
        hint: 'A version is built once: release a new version for changed code.',
      }),
      1,
    );
  options.progress?.(`pushing ${ref.registry}/${ref.repository}:${version}`);
  const blobs = [...image.baseLayers, image.layer, image.config];
  const layout = join(root, stem);
  await pushImage(client, { manifest: image.manifest, blobs }, (d) => readLayoutBlob(layout, d), version);
  return `${ref.registry}/${ref.repository}:${version}@${image.manifest.digest}`;
}

/** A base image from `oci:DIR[:REF]` (relative to the workspace root) or `[docker://]HOST/NAME:TAG`. */
async function loadBase(ctx: ReleaseContext, spec: string, platform: Platform, env?: NodeJS.ProcessEnv): Promise<{ image: BaseImage; blob: LayoutBlobSource }> {
  if (spec.startsWith('oci:')) {
    const rest = spec.slice(4);
    return readBaseFromLayout(rest.startsWith('/') ? rest : join(ctx.root, rest), platform);
  }
  const ref = parseImageReference(spec.replace(/^docker:\/\//, ''));
  if (!ref || (!ref.tag && !ref.digest))
    throw new KilnError(diagnostic('artifact-bad-base', `base image "${spec}" is neither oci:DIR[:REF] nor HOST/NAME:TAG.`, { location: { file: 'nx.json' } }));
  const client = new RegistryClient(ref, await findCredentials(ref.registry, env), { insecure: env?.KILN_REGISTRY_INSECURE === '1' });
  let m = await client.getManifest(ref.digest ?? ref.tag!);
  const parsed = JSON.parse(new TextDecoder().decode(m.data)) as { mediaType?: string; manifests?: unknown };
  if (parsed.manifests !== undefined || m.mediaType === MEDIA.index || m.mediaType === MEDIA.dockerList) {
    const chosen = selectManifest(parsed as ImageIndex, platform);
    if (!chosen) throw new KilnError(diagnostic('artifact-base-platform', `base image ${spec} has no image for ${platform.os}/${platform.architecture}.`));
    m = await client.getManifest(chosen.digest);
  }
  const manifest = parseManifest(m.data);
  const config = JSON.parse(new TextDecoder().decode(await client.getBlob(manifest.config.digest))) as Record<string, unknown>;
  return { image: { manifest, config }, blob: (digest) => client.getBlob(digest) };
}

export interface ArtifactCommandOptions extends Omit<ArtifactOptions, 'build' | 'projects'> {
  readonly cwd: string;
  readonly projects?: readonly string[];
  /** Only artifact projects affected between `base` and `head`. */
  readonly affected?: { readonly base?: string; readonly head?: string };
  /** Build output (a task's terminal output), for a person. */
  readonly output?: (chunk: Buffer) => void;
}

/** `kiln artifact` for the workspace containing `cwd`, building through the task runner. */
export async function artifact(options: ArtifactCommandOptions): Promise<ArtifactResult> {
  const ctx = await loadReleaseContext(options.cwd);
  let projects = options.projects;
  if (options.affected) {
    const changed = await affected({ cwd: options.cwd, ...options.affected, ...(options.env && { env: options.env }) });
    for (const w of changed.warnings) options.warn?.(w);
    const touched = new Set(changed.projects);
    projects = (projects ?? releaseConfig(ctx).artifacts.projects).filter((p) => touched.has(p));
    options.progress?.(`affected artifact projects: ${projects.length ? projects.join(', ') : 'none'}`);
  }
  return artifactIn(ctx, { ...options, ...(projects && { projects }), build: runnerBuildStep(options) });
}

/**
 * The task runner as a BuildStep: one run of `target` for the projects (with its dependsOn
 * graph), through the cache; the build task's hash is the artifact's input hash.
 */
function runnerBuildStep(options: ArtifactCommandOptions): BuildStep {
  return async (projects, target) => {
    const result = await run({
      cwd: options.cwd,
      targets: [target],
      projects,
      ...(options.env && { env: options.env }),
      events: {
        ...(options.progress && { start: (id) => options.progress!(`building ${id}`) }),
        ...(options.warn && { warning: (m) => options.warn!(m) }),
        ...(options.output && { output: (_id, chunk) => options.output!(chunk) }),
      },
    });
    if (result.interrupted) throw new KilnError(diagnostic('artifact-interrupted', 'the build was interrupted; nothing was packed.'), 1);
    const out = new Map<string, { hash: string; status: string; cache: string }>();
    for (const t of result.tasks) {
      const at = t.id.lastIndexOf(':');
      if (t.id.slice(at + 1) === target) out.set(t.id.slice(0, at), { hash: t.hash, status: t.status, cache: t.cache });
    }
    return out;
  };
}
