/**
 * kiln's API, loaded with import(): @kiln/core is ESM and this package is CommonJS (Nx require()s
 * plugins and executors). Each operation's own entry point, so an executor loads only what it runs.
 */
export const loadWorkspaceApi = (): Promise<typeof import('@kiln/core/api/load-workspace')> => import('@kiln/core/api/load-workspace');
export const releaseModule = (): Promise<typeof import('@kiln/core/release')> => import('@kiln/core/release');
export const artifactApi = (): Promise<typeof import('@kiln/core/api/artifact')> => import('@kiln/core/api/artifact');
export const promoteApi = (): Promise<typeof import('@kiln/core/api/promote')> => import('@kiln/core/api/promote');
export const ownersApi = (): Promise<typeof import('@kiln/core/api/owners')> => import('@kiln/core/api/owners');

/** An executor's answer: kiln's own errors (located, with hints) are printed, anything else is rethrown as a bug. */
export async function asExecutor(work: () => Promise<boolean>): Promise<{ success: boolean }> {
  try {
    return { success: await work() };
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (e?.name !== 'KilnError') throw error;
    console.error(e.message);
    return { success: false };
  }
}
