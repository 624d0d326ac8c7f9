/** `kiln artifact`: build each service once and pack it into a reproducible, versioned tarball and OCI image. */
import { artifact } from '@kiln/core/api/artifact';
import { boolOpt, ExitCode, jsonOption, listOpt, stringOpt, type Command } from '../command.js';

export const command: Command = {
  name: 'artifact',
  summary: 'build services once and pack each into a reproducible tarball and OCI image',
  usage: 'kiln artifact [-p PROJECT,...] [--affected [--base REF] [--head REF]] [--push REGISTRY/NAME | --publish] [--json]',
  options: {
    projects: { type: 'string', short: 'p', multiple: true, value: 'PROJECT', description: 'pack these projects (default: nx.json kiln.artifacts.projects, else the release projects that are applications)' },
    affected: { type: 'boolean', description: 'only the artifact projects affected since --base' },
    base: { type: 'string', value: 'REF', description: 'with --affected: the base (default: merge-base with main)' },
    head: { type: 'string', value: 'REF', description: 'with --affected: the head (default: the work tree)' },
    push: { type: 'string', value: 'REGISTRY/NAME', description: 'push each image, tagged with its version; NAME may hold {projectName}' },
    publish: { type: 'boolean', description: 'push to the registry set in nx.json kiln.registry' },
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
    'Exit codes: 0 packed; 1 a build, a push or an output failed; 2 usage or configuration error.',
  ].join('\n'),
  async run(args, ctx) {
    const push: string | true | undefined = stringOpt(args, 'push') ?? (boolOpt(args, 'publish') ? true : undefined);
    const base = stringOpt(args, 'base');
    const head = stringOpt(args, 'head');
    const result = await artifact({
      cwd: ctx.cwd,
      env: ctx.env,
      ...(listOpt(args, 'projects') && { projects: listOpt(args, 'projects')! }),
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
