/** `kiln run --shard i/N [--plan FILE]`: the projects of one CI shard (docs/ci.md). */
import { boolOpt, stringOpt, usageError, type ParsedArgs } from '../command.js';
import type { Output } from '../output.js';

/** The projects whose TARGET task the shard owns (narrowed by `-p` when given). */
export async function shardProjects(args: ParsedArgs, cwd: string, targets: readonly string[], projects: string[] | undefined, out: Output): Promise<string[]> {
  const text = stringOpt(args, 'shard');
  const planFile = stringOpt(args, 'plan');
  if (text === undefined) throw await usageError('usage', "--plan needs --shard i/N: which of the plan's shards to run.", 'e.g. kiln run -t build --shard 1/4 --plan plan.json');
  const { parseShardSpec } = await import('@kiln/core/shard');
  const spec = parseShardSpec(text);
  if (!spec) throw await usageError('invalid-option', `--shard expects i/N with 1 <= i <= N, got "${text}".`, 'e.g. --shard 2/4');
  if (targets.length !== 1) throw await usageError('invalid-option', '--shard runs one target: -t TARGET.');
  const { shardOf } = await import('@kiln/core/api/ci-plan');
  const base = stringOpt(args, 'base');
  const head = stringOpt(args, 'head');
  const { projects: mine, shard } = await shardOf({
    cwd,
    target: targets[0]!,
    index: spec.index,
    count: spec.count,
    affected: boolOpt(args, 'affected'),
    ...(planFile && { planFile }),
    ...(base && { base }),
    ...(head && { head }),
  });
  out.info(
    `shard ${shard.shard}/${shard.shards}: ${shard.tasks.length} task${shard.tasks.length === 1 ? '' : 's'}${shard.takeAlong.length > 0 ? ` (and ${shard.takeAlong.length} taken along from other shards)` : ''}${planFile ? ` from ${planFile}` : ''}`,
  );
  return mine.filter((p) => projects === undefined || projects.includes(p));
}
