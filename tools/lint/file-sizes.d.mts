/** Types for file-sizes.mjs, for its tests. */
export function lineCount(text: string): number;
export function sizeReason(text: string): string | undefined;
export function sizeProblem(path: string, text: string): string | undefined;
export function main(root?: string): number;
