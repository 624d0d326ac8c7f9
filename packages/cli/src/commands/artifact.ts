/** `kiln artifact`: build each service once and pack it into a reproducible, versioned tarball and OCI image. */
import { artifact } from '@kiln/core/api/artifact';
import { boolOpt, ExitCode, jsonOption, stringOpt, usageError, type Command, type CommandContext, type ParsedArgs } from '../command.js';
import { selectedProjects, selectionOf, selectionOptions } from '../selection.js';

export const command: Command = {
  name: 'artifact',
  summary: 'build services once and pack each into a reproducible tarball and OCI image',
  usage: [
    'kiln artifact [-p PROJECT,...] [--affected [--base REF] [--head REF]] [--push REGISTRY/NAME | --publish] [--json]',
    '       kiln artifact --check-reproducible [-p PROJECT,...] [--json]',
    '       kiln artifact inspect PROJECT@VERSION [--registry REGISTRY/NAME | --remote] [--json]',
  ].join('\n'),
  subcommands: ['inspect'],
  options: {
    ...selectionOptions('pack these projects (default: nx.json kiln.artifacts.projects, else the release projects that are applications)'),
    affected: { type: 'boolean', description: 'only the artifact projects affected since --base' },
    base: { type: 'string', value: 'REF', description: 'with --affected: the base (default: merge-base with main)' },
    head: { type: 'string', value: 'REF', description: 'with --affected: the head (default: the work tree)' },
    push: { type: 'string', value: 'REGISTRY/NAME', description: 'push each image, tagged with its version; NAME may hold {projectName}' },
    publish: { type: 'boolean', description: 'push to the registry set in nx.json kiln.registry' },
    registry: { type: 'string', value: 'REGISTRY/NAME', description: 'inspect: read this registry (NAME may hold {projectName})' },
    remote: { type: 'boolean', description: 'inspect: read the registry it was pushed to (else nx.json kiln.registry), not the local layout' },
    'check-reproducible': { type: 'boolean', description: 'build each service twice in fresh checkouts, without the cache, and compare the artifacts' },
    ...jsonOption,
  },
  details: [
    'Each project\'s build target (default "build") runs through the cache, so a service already built',
    'at these inputs is not built again. Its output directory is packed into dist/artifacts/:',
    'NAME-VERSION.tar.gz (the layer) and NAME-VERSION/ (an OCI image layout), indexed in artifacts.json.',
    'The same sources give byte-identical artifacts and digests on any machine, directory and time.',
    'Registry credentials: KILN_REGISTRY_USERNAME/KILN_REGISTRY_PASSWORD (or KILN_REGISTRY_TOKEN), else the',
    'credential helper or auths of ~/.docker/config.json (DOCKER_CONFIG). Loopback registries use plain HTTP; KILN_REGISTRY_INSECURE=1 forces it.',
    '--json prints {"artifacts":[{"project","version","digest","path","inputHash","pushed"?}]}.',
    '--check-reproducible builds each selected service twice, each time in a fresh temporary checkout',
    '(HEAD plus the work tree\'s changes) at another path, with other file times and at another moment,',
    'never from the cache, and compares the digests; where they differ it names the files inside the',
    'artifact and the first differing bytes (inside a zip or tar: the members, their order and times).',
    'Its --json prints {"results":[{"project","reproducible","digests","differences":[{"path","member"?,"kind",...}]}]}.',
    'inspect shows the image digest of PROJECT@VERSION and what is attached to it (the SBOM and the',
    'provenance, as OCI referrers): from its layout when it was built here, else (or with --remote or',
    '--registry) from the registry. Its --json prints {"digest","referrers":[{"artifactType","digest",...}]}.',
    'Exit codes: 0 packed (or reproducible); 1 a build, a push or an output failed, or an artifact is not',
    'reproducible; 2 usage or configuration error.',
  ].join('\n'),
  async run(args, ctx) {
    if (args.positionals[0] === 'inspect') return inspect(args, ctx);
    if (args.positionals.length > 0) throw await usageError('usage', `kiln artifact takes no arguments but "inspect": ${args.positionals.join(' ')}`);
    if (boolOpt(args, 'check-reproducible')) return checkReproducible(args, ctx);
    const push: string | true | undefined = stringOpt(args, 'push') ?? (boolOpt(args, 'publish') ? true : undefined);
    const base = stringOpt(args, 'base');
    const head = stringOpt(args, 'head');
    const projects = await selectedProjects(selectionOf(args), ctx, 'artifact');
    const result = await artifact({
      cwd: ctx.cwd,
      env: ctx.env,
      ...(projects && { projects }),
      ...(boolOpt(args, 'affected') && { affected: { ...(base && { base }), ...(head && { head }) } }),
      ...(push !== undefined && { push }),
      progress: (line) => ctx.out.info(line),
      warn: (line) => ctx.out.warn(line),
      output: (chunk) => void process.stderr.write(chunk),
    });
    if (boolOpt(args, 'json')) {
      ctx.out.json(result);
      return ExitCode.ok;
    }
    if (result.artifacts.length === 0) ctx.out.info('no artifacts to pack.');
    for (const a of result.artifacts) ctx.out.print(`${ctx.out.style('bold', `${a.project}@${a.version}`)}  ${a.digest}  ${a.path}${a.pushed ? `  → ${a.pushed}` : ''}`);
    return ExitCode.ok;
  },
};

async function checkReproducible(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  for (const other of ['push', 'publish', 'affected'] as const)
    if (args.values[other] !== undefined) throw await usageError('usage', `--check-reproducible does not go with --${other}.`);
  const { checkReproducible: check } = await import('@kiln/core/api/artifact-check');
  const { describeDifference } = await import('@kiln/core/release');
  const projects = await selectedProjects(selectionOf(args), ctx, 'artifact');
  const { results } = await check({
    cwd: ctx.cwd,
    env: ctx.env,
    ...(projects && { projects }),
    progress: (line) => ctx.out.info(line),
    warn: (line) => ctx.out.warn(line),
    output: (chunk) => void process.stderr.write(chunk),
  });
  const failed = results.some((r) => !r.reproducible);
  if (boolOpt(args, 'json')) {
    ctx.out.json({ results });
    return failed ? ExitCode.failed : ExitCode.ok;
  }
  for (const r of results) {
    if (r.reproducible) {
      ctx.out.print(`${ctx.out.style('green', '✔')} ${ctx.out.style('bold', r.project)} is reproducible  ${r.digests[0]}`);
      continue;
    }
    ctx.out.print(`${ctx.out.style('red', '✘')} ${ctx.out.style('bold', r.project)} is not reproducible: ${r.digests[0]} ≠ ${r.digests[1]}`);
    const shown = r.differences.slice(0, 20);
    for (const d of shown) ctx.out.print(`    ${describeDifference(d)}`);
    if (r.differences.length > shown.length) ctx.out.print(`    … and ${r.differences.length - shown.length} more (--json lists them all)`);
  }
  return failed ? ExitCode.failed : ExitCode.ok;
}

async function inspect(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const [, spec, ...extra] = args.positionals;
  if (spec === undefined || extra.length > 0) throw await usageError('usage', 'usage: kiln artifact inspect PROJECT@VERSION [--registry REGISTRY/NAME | --remote]', 'e.g. kiln artifact inspect catalog@1.4.0');
  const { inspectArtifact } = await import('@kiln/core/api/artifact-inspect');
  const registry: string | true | undefined = stringOpt(args, 'registry') ?? (boolOpt(args, 'remote') ? true : undefined);
  const r = await inspectArtifact({ cwd: ctx.cwd, spec, env: ctx.env, ...(registry !== undefined && { registry }) });
  if (boolOpt(args, 'json')) {
    ctx.out.json({ digest: r.digest, referrers: r.referrers, project: r.project, version: r.version, location: r.location });
    return ExitCode.ok;
  }
  ctx.out.print(`${ctx.out.style('bold', `${r.project}@${r.version}`)}  ${r.digest}  (${r.location})`);
  if (r.referrers.length === 0) ctx.out.print('  nothing attached');
  for (const ref of r.referrers) {
    const predicate = ref.annotations?.['in-toto.io/predicate-type'];
    ctx.out.print(`  ${ref.artifactType.padEnd(32)}  ${ref.digest}${predicate ? `  (${predicate})` : ''}`);
  }
  return ExitCode.ok;
}
