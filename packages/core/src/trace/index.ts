/**
 * trace: with KILN_TRACE set, timings of each phase on stderr, for tuning. The one place that
 * reads KILN_TRACE; everything else asks `tracing()` or calls a tracer.
 */

export const tracing = (): boolean => Boolean(process.env.KILN_TRACE);

/** One trace line, stamped with the time since the process started. */
export function trace(message: string): void {
  if (tracing()) process.stderr.write(`kiln trace: ${message} (at ${Math.round(performance.now())}ms)\n`);
}

/** A tracer for one operation: each call prints how long the phase since the previous call took. */
export function tracer(scope?: string): (label: string) => void {
  if (!tracing()) return () => undefined;
  const prefix = scope === undefined ? '' : `${scope} `;
  let last = performance.now();
  return (label) => {
    const now = performance.now();
    trace(`${prefix}${label} ${Math.round(now - last)}ms`);
    last = now;
  };
}
