/**
 * `kiln ci plan -t TARGET [--affected] [--base/--head] --shards N [--json]`: split a target's tasks across CI runners.
 * `kiln ci state save|load [--file F]`: share the affected state of a commit. See docs/ci.md.
 */
import { boolOpt, ExitCode, jsonOption, stringOpt, usageError, type Command, type CommandContext, type ParsedArgs } from '../command.js';

export const command: Command = {
  name: 'ci',
  summary: "split a target's (affected) tasks into weighted shards for CI runners, as a GitHub Actions matrix",
  usage: [
    'kiln ci plan -t TARGET [--affected] [--base REF] [--head REF] --shards N [--durations recorded|uniform] [--json]',
    '       kiln ci state save [--file F] [--json]',
    '       kiln ci state load --file F',
  ].join('\n'),
  subcommands: ['plan', 'state'],
  options: {
    target: { type: 'string', short: 't', value: 'TARGET', description: 'the target to split (one)' },
    affected: { type: 'boolean', description: 'only the tasks affected by changes since the merge-base with main' },
    base: { type: 'string', value: 'REF', description: 'with --affected: compare against REF (default: KILN_BASE, nx.json defaultBase, main)' },
    head: { type: 'string', value: 'REF', description: 'with --affected: up to REF (default: the working tree)' },
    shards: { type: 'string', value: 'N', description: 'how many shards (runners)' },
    durations: { type: 'string', value: 'recorded|uniform', description: "weigh tasks by the cache's recorded durations (default) or all alike" },
    file: { type: 'string', value: 'F', description: 'state: save to / load from this file instead of the cache' },
    ...jsonOption,
  },
  details: [
    '--json prints {"include":[{"shard":"1/N","target","tasks":[…],"estimatedMs","takeAlong":[…]}]}: a GitHub Actions matrix.',
    "A shard runs with: kiln run -t TARGET --shard i/N --plan PLAN.json. Its tasks' dependencies owned by other",
    'shards (takeAlong) run there too, or are restored when the cache has them. See docs/ci.md.',
    "state save: brings the affected state up to HEAD (clean work tree) and keeps it in the cache folder's states/",
    "(or --file); a fresh clone's kiln affected loads the state of HEAD or of its merge-base from there.",
    'Exit codes: 0 done; 2 usage or configuration error.',
  ].join('\n'),
  async run(args, ctx) {
    if (args.positionals[0] === 'state') return state(args, ctx);
    if (args.positionals[0] !== 'plan') throw await usageError('usage', 'kiln ci needs a subcommand: plan or state.', 'e.g. kiln ci plan -t build --affected --shards 4 --json');
    const target = stringOpt(args, 'target');
    if (!target || target.includes(',')) throw await usageError('missing-target', 'kiln ci plan needs one target: -t TARGET.', 'e.g. kiln ci plan -t build --shards 4');
    const shardsText = stringOpt(args, 'shards');
    const shards = Number(shardsText);
    if (shardsText === undefined || !Number.isInteger(shards) || shards < 1 || shards > 256)
      throw await usageError(
        'invalid-option',
        `--shards expects a whole number from 1 to 256, got ${shardsText === undefined ? 'nothing' : `"${shardsText}"`}.`,
        'e.g. --shards 4',
      );
    const durations = stringOpt(args, 'durations') ?? 'recorded';
    if (durations !== 'recorded' && durations !== 'uniform') throw await usageError('invalid-option', `--durations must be recorded or uniform, not "${durations}".`);
    const { ciPlan } = await import('@kiln/core/api/ci-plan');
    const base = stringOpt(args, 'base');
    const head = stringOpt(args, 'head');
    const plan = await ciPlan({ cwd: ctx.cwd, target, shards, durations, affected: boolOpt(args, 'affected'), ...(base && { base }), ...(head && { head }) });
    const count = plan.include.reduce((s, e) => s + e.tasks.length, 0);
    for (const w of plan.warnings) ctx.out.warn(w);
    if (plan.remoteTimed > 0) ctx.out.info(`${plan.remoteTimed} of ${count} tasks are weighed by durations from the remote cache.`);
    if (plan.untimed > 0 && durations === 'recorded') ctx.out.info(`${plan.untimed} of ${count} tasks have no recorded duration; each counts as ${seconds(plan.fallbackMs)}.`);
    if (boolOpt(args, 'json')) {
      ctx.out.json({ include: plan.include });
      return ExitCode.ok;
    }
    ctx.out.print(`${count} ${target} task${count === 1 ? '' : 's'} in ${shards} shard${shards === 1 ? '' : 's'} (estimated ${seconds(plan.totalMs)} in all):`);
    for (const s of plan.include) {
      const along = s.takeAlong.length > 0 ? `, takes along ${s.takeAlong.length}` : '';
      ctx.out.print(
        `  ${s.shard}/${s.shards}: ${s.tasks.length} task${s.tasks.length === 1 ? '' : 's'}, ~${seconds(s.estimatedMs)}${along}${s.tasks.length > 0 ? `  ${s.tasks.slice(0, 4).join(' ')}${s.tasks.length > 4 ? ' …' : ''}` : ''}`,
      );
    }
    return ExitCode.ok;
  },
};

async function state(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const action = args.positionals[1];
  const file = stringOpt(args, 'file');
  const api = await import('@kiln/core/api/shared-state');
  if (action === 'save') {
    const r = await api.saveSharedState({ cwd: ctx.cwd, ...(file && { file }) });
    for (const w of r.warnings) ctx.out.warn(w);
    if (boolOpt(args, 'json')) ctx.out.json(r);
    else
      ctx.out.print(`graph state of ${r.commit.slice(0, 12)} (${Math.ceil(r.bytes / 1024)} KB) ${r.stored.length > 0 ? `saved to ${r.stored.join(', ')}` : 'not saved anywhere'}`);
    return r.stored.length > 0 ? ExitCode.ok : ExitCode.failed;
  }
  if (action === 'load') {
    if (file === undefined)
      throw await usageError('usage', 'kiln ci state load needs --file F.', 'A fresh clone loads shared states from the cache by itself: kiln affected does.');
    const r = await api.loadSharedState({ cwd: ctx.cwd, file });
    ctx.out.print(`graph state of ${r.commit.slice(0, 12)} loaded from ${file}`);
    return ExitCode.ok;
  }
  throw await usageError('usage', 'kiln ci state needs save or load.', 'e.g. kiln ci state save');
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}
