/**
 * Reads one shard out of a plan `kiln ci plan --json` wrote (a GitHub Actions matrix:
 * `{"include":[{"shard":i,"shards":N,"target","tasks":[…],…}]}`, DESIGN.md's contract), checking its shape so that a wrong or
 * hand-edited file is a located error, never a shard that silently runs nothing.
 */
import { diagnostic, KilnError } from '../model/index.js';
import { parseJson } from '../workspace/json.js';

export interface PlannedShard {
  /** 1-based, as GitHub's matrix shows it; `--shard` takes `shard/shards`. */
  readonly shard: number;
  readonly shards: number;
  readonly target: string;
  readonly tasks: readonly string[];
  readonly estimatedMs: number;
  readonly takeAlong: readonly string[];
}

/** The entry for shard `name` (`i/N`) of `text` (read from `file`), whose target must be `target`. */
export function readShardPlan(text: string, file: string, name: string, target: string): PlannedShard {
  const parsed = parseJson(text, file);
  if (!parsed.ok) throw new KilnError(parsed.error);
  const fail = (message: string, path: (string | number)[] = []): never => {
    throw new KilnError(
      diagnostic('invalid-shard-plan', message, { location: parsed.value.locate(path), hint: `Write it with: kiln ci plan -t ${target} --shards N --json > ${file}` }),
    );
  };
  const root = parsed.value.value as { include?: unknown };
  if (typeof root !== 'object' || root === null || !Array.isArray(root.include)) return fail(`${file} is not a kiln ci plan: it has no "include" list`);
  const [index, count] = name.split('/').map(Number) as [number, number];
  if (root.include.length !== count) return fail(`${file} plans ${root.include.length} shards, not ${count} (--shard ${name})`, ['include']);
  const at = root.include.findIndex((e) => typeof e === 'object' && e !== null && (e as { shard?: unknown }).shard === index);
  if (at < 0) return fail(`${file} has no shard "${name}"`, ['include']);
  const entry = root.include[at] as Record<string, unknown>;
  if (entry.target !== target) return fail(`shard ${name} of ${file} is planned for target "${String(entry.target)}", not "${target}"`, ['include', at, 'target']);
  const strings = (key: string): string[] => {
    const v = entry[key] ?? [];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) return fail(`"${key}" of shard ${name} must be a list of task ids`, ['include', at, key]);
    return v as string[];
  };
  for (const [i, t] of strings('tasks').entries()) if (!t.endsWith(`:${target}`)) fail(`task "${t}" of shard ${name} is not a ${target} task`, ['include', at, 'tasks', i]);
  return { shard: index, shards: count, target, tasks: strings('tasks'), estimatedMs: typeof entry.estimatedMs === 'number' ? entry.estimatedMs : 0, takeAlong: strings('takeAlong') };
}
