/**
 * report: how `kiln run` shows a run. Pure models (the status line in `progress.ts`, skipped
 * groups and the failure report in `failures.ts`, output tails in `tail.ts`, the run summary
 * document in `run-summary.ts`, the output styles in `style.ts`) and the thin writer that draws
 * them on a terminal or a pipe (`view.ts`). docs/run.md describes what a user sees.
 */
export { chooseOutputStyle, OUTPUT_STYLES, type OutputStyle } from './style.js';
export { createView, seconds, type View } from './view.js';
export { runSummary, runSummaryFileName, RUN_SUMMARY_VERSION } from './run-summary.js';
