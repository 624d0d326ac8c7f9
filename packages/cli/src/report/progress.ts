/**
 * The status line's model: counts and running tasks, updated from run events, and the line drawn
 * from it (`done/total`, counts, elapsed time, the running tasks cut to the terminal's width).
 */
import type { TaskState } from './types.js';

export class Progress {
  total = 0;
  done = 0;
  cached = 0;
  failed = 0;
  interrupted = 0;
  /** Running tasks and when each started (ms), in the order they started. */
  readonly running = new Map<string, number>();

  start(id: string, now: number): void {
    this.running.set(id, now);
  }

  end(r: { readonly id: string; readonly status: TaskState; readonly cache: string }): void {
    this.running.delete(r.id);
    this.done++;
    if (r.status === 'failure') this.failed++;
    if (r.status === 'interrupted') this.interrupted++;
    if (r.cache !== 'miss' && r.status === 'success') this.cached++;
  }
}

/** `12/300 · 40 cached · 1 failed · 4.2s · a:build, b:test, +3`: at most `width` characters. */
export function statusLine(p: Progress, elapsedMs: number, width: number): string {
  const parts = [`${p.done}/${p.total || '?'}`];
  if (p.cached) parts.push(`${p.cached} cached`);
  if (p.failed) parts.push(`${p.failed} failed`);
  if (p.interrupted) parts.push(`${p.interrupted} interrupted`);
  parts.push(`${(elapsedMs / 1000).toFixed(1)}s`);
  const head = parts.join(' · ');
  const names = [...p.running.keys()];
  if (names.length === 0) return cut(head, width);
  // As many running names as fit, then how many more run.
  for (let shown = names.length; ; shown--) {
    const more = names.length - shown;
    const line = `${head} · ${names.length} running${shown ? `: ${names.slice(0, shown).join(', ')}${more ? `, +${more}` : ''}` : ''}`;
    if (line.length <= width || shown === 0) return cut(line, width);
  }
}

function cut(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
}
