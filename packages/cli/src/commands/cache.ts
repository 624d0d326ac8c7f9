/** `kiln cache stats|clean [--json]`: the local cache's size and age, or removing its entries. */
import { boolOpt, ExitCode, jsonOption, usageError, type Command } from '../command.js';

export const command: Command = {
  name: 'cache',
  summary: 'local cache housekeeping: stats (entries, size, age) and clean (remove every entry)',
  usage: 'kiln cache stats|clean [--json]',
  subcommands: ['stats', 'clean'],
  options: { ...jsonOption },
  details: [
    'The cache is the folder nx.json "kiln": {"cacheDirectory"} names (default .kiln/cache), kept under "cacheMaxSize".',
    'stats --json prints {"dir","entries","bytes","maxBytes","oldest","newest","lastUsed"} (times ISO 8601, null when empty).',
    "clean removes every entry kiln stored, and what killed runs left behind; only in a folder carrying kiln's",
    'CACHEDIR.TAG marker (any other folder is refused). The last-run records why-miss reads stay.',
    'clean --json prints {"dir","removed","bytes"}.',
    'Exit codes: 0 done; 2 usage or configuration error (a cache folder kiln did not make).',
  ].join('\n'),
  async run(args, ctx) {
    const [sub, ...extra] = args.positionals;
    if (sub === undefined || extra.length > 0) throw await usageError('usage', 'usage: kiln cache stats|clean [--json]', 'e.g. kiln cache stats');
    const json = boolOpt(args, 'json');
    if (sub === 'clean') {
      const { cleanCache } = await import('@kiln/core/api/cache');
      const r = await cleanCache({ cwd: ctx.cwd });
      if (json) ctx.out.json(r);
      else ctx.out.print(`removed ${r.removed} entr${r.removed === 1 ? 'y' : 'ies'} (${bytes(r.bytes)}) from ${r.dir}`);
      return ExitCode.ok;
    }
    const { cacheStats } = await import('@kiln/core/api/cache');
    const s = await cacheStats({ cwd: ctx.cwd });
    if (json) {
      ctx.out.json(s);
      return ExitCode.ok;
    }
    ctx.out.print(`${ctx.out.style('bold', s.dir)}: ${s.entries} entr${s.entries === 1 ? 'y' : 'ies'}, ${bytes(s.bytes)} of ${bytes(s.maxBytes)}`);
    if (s.oldest !== null) ctx.out.print(`  stored ${s.oldest} … ${s.newest}; last used ${s.lastUsed}`);
    return ExitCode.ok;
  },
};

function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) [v, i] = [v / 1024, i + 1];
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
