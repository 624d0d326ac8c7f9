/** A planned task as running it needs it: its project, its target's configuration, the chosen configuration's options, extra arguments. */
export interface RunnableTask {
  readonly project: { readonly name: string; readonly root: string };
  readonly target: string;
  readonly config: {
    readonly executor?: string;
    readonly options?: Readonly<Record<string, unknown>>;
    readonly outputs?: readonly string[];
  };
  /** Options of the chosen configuration, laid over `config.options`. */
  readonly configurationOptions?: Readonly<Record<string, unknown>>;
  readonly args?: readonly string[];
}

/** The options a task runs with: its target's, with the chosen configuration's laid over them. */
export function taskOptions(t: RunnableTask): Readonly<Record<string, unknown>> {
  return (t.configurationOptions ? { ...t.config.options, ...t.configurationOptions } : t.config.options) ?? {};
}
