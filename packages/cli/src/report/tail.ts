/** The last lines of each task's output, kept as it streams (bounded bytes per task), for the failure report. */

const KEEP_BYTES = 16 * 1024;
// Colour and cursor sequences (CSI), and a carriage return's overwritten text: not for a summary.
// eslint-disable-next-line no-control-regex
const CONTROL = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g;

export class LogTails {
  private readonly kept = new Map<string, Buffer[]>();
  private readonly sizes = new Map<string, number>();

  add(id: string, chunk: Buffer): void {
    const list = this.kept.get(id) ?? [];
    list.push(chunk);
    let size = (this.sizes.get(id) ?? 0) + chunk.length;
    while (list.length > 1 && size - list[0]!.length >= KEEP_BYTES) size -= list.shift()!.length;
    this.kept.set(id, list);
    this.sizes.set(id, size);
  }

  /** The last `n` non-blank lines of a task's output, without control sequences. */
  lines(id: string, n = 10): string[] {
    const list = this.kept.get(id);
    if (!list) return [];
    let text = Buffer.concat(list).toString('utf8');
    // The first line may be cut: drop it unless everything fits.
    if ((this.sizes.get(id) ?? 0) >= KEEP_BYTES) text = text.slice(text.indexOf('\n') + 1);
    const lines = text
      .replace(CONTROL, '')
      .split('\n')
      .map((l) => (l.includes('\r') ? l.slice(l.lastIndexOf('\r', l.length - 2) + 1).replace(/\r$/, '') : l).trimEnd())
      .filter((l) => l.trim() !== '');
    return lines.slice(-n);
  }

  drop(id: string): void {
    this.kept.delete(id);
    this.sizes.delete(id);
  }
}
