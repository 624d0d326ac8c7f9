/**
 * Vitest global setup of the slow tier: after the run, one line for each apt tool that is missing,
 * naming what was skipped for it and how to install it (the tests themselves skip quietly).
 */
import { aptTools, findAptTools } from './tools.js';

export function teardown(): void {
  const found = findAptTools();
  for (const [key, tool] of Object.entries(aptTools)) {
    if (found[key as keyof typeof aptTools] === undefined) process.stdout.write(`SKIPPED ${tool.skipped}: ${tool.apt} is not installed (apt-get install ${tool.apt})\n`);
  }
}
