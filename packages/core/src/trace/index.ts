/**
 * trace: with KILN_TRACE set, timings of each phase on stderr, for tuning. The one place that
 * reads KILN_TRACE; everything else asks `tracing()` or calls a tracer. `traceTo` sends the same
 * phases to a listener instead (`kiln run --verbose` words them).
 */

let sink: ((phase: string, ms: number) => void) | undefined;

/** Sends each phase (its label and how long it took) to `listener` from now on, whether or not KILN_TRACE is set. */
export function traceTo(listener: (phase: string, ms: number) => void): void {
  sink = listener;
}

export const tracing = (): boolean => Boolean(process.env.KILN_TRACE) || sink !== undefined;

/** One trace line, stamped with the time since the process started. */
export function trace(message: string): void {
  if (process.env.KILN_TRACE) process.stderr.write(`kiln trace: ${message} (at ${Math.round(performance.now())}ms)\n`);
}

/** A tracer for one operation: each call prints how long the phase since the previous call took. */
export function tracer(scope?: string): (label: string) => void {
  if (!tracing()) return () => undefined;
  const prefix = scope === undefined ? '' : `${scope} `;
  let last = performance.now();
  return (label) => {
    const now = performance.now();
    trace(`${prefix}${label} ${Math.round(now - last)}ms`);
    sink?.(`${prefix}${label}`, now - last);
    last = now;
  };
}
