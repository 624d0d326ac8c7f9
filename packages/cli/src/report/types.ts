/** The little the report needs of a run's results (kept apart from the engine's types, so the renderer is tested on plain data). */
export type TaskState = 'success' | 'failure' | 'skipped' | 'interrupted';

export interface Outcome {
  readonly id: string;
  readonly status: TaskState;
  readonly cache: string;
  readonly durationMs: number;
  readonly exit?: { readonly code: number | null; readonly signal?: string | null };
}
