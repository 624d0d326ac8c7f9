/** The file-system error codes the cache tells apart. */

/** The error's code (`ENOENT`, `EACCES`...), or undefined for an error that has none. */
export function errorCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Nothing there: the path, or one of its folders, does not exist. */
export function isNotFound(e: unknown): boolean {
  const code = errorCode(e);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
