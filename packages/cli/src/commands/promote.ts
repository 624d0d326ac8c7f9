/** `kiln promote PROJECT@VERSION --to ENV`: record a built artifact's digest in environments/ENV.json. */
import { KilnError, diagnostic } from '@kiln/core/model';
import { promote } from '@kiln/core/api/promote';
import { boolOpt, ExitCode, jsonOption, stringOpt, type Command } from '../command.js';

export const command: Command = {
  name: 'promote',
  summary: "record a built artifact's digest in environments/ENV.json, never rebuilding",
  usage: 'kiln promote PROJECT@VERSION --to ENV [--json]',
  allowPositionals: true,
  options: {
    to: { type: 'string', value: 'ENV', description: 'the environment (file environments/ENV.json)' },
    ...jsonOption,
  },
  details: [
    'Promotes only what `kiln artifact` built (dist/artifacts/artifacts.json, or, with nx.json kiln.registry,',
    'what the registry holds under the version); a version never built is refused.',
    'With nx.json "kiln": {"environments": ["staging", "production"]}, an environment after the first',
    'accepts only a digest already recorded in the one before it.',
    'An artifact pushed to a registry (or with nx.json kiln.registry set) is promoted only while the registry',
    'still serves its recorded digest under its version tag.',
    '--json prints {"project","version","digest","environment"}.',
    'Exit codes: 0 recorded; 1 refused (never built, not in the previous environment, or the registry serves',
    'another digest); 2 usage error.',
  ].join('\n'),
  async run(args, ctx) {
    const to = stringOpt(args, 'to');
    const [spec, ...extra] = args.positionals;
    if (spec === undefined || to === undefined || extra.length > 0)
      throw new KilnError(diagnostic('usage', 'usage: kiln promote PROJECT@VERSION --to ENV', { hint: 'e.g. kiln promote catalog@1.4.0 --to staging' }));
    const r = await promote({ cwd: ctx.cwd, spec, environment: to, env: ctx.env });
    if (boolOpt(args, 'json')) {
      ctx.out.json({ project: r.project, version: r.version, digest: r.digest, environment: r.environment });
      return ExitCode.ok;
    }
    ctx.out.print(`${r.project}@${r.version} → ${r.environment}  ${r.digest}  (${r.file})`);
    return ExitCode.ok;
  },
};
