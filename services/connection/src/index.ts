export { Pool, type Connection } from './pool.js';

/** Reads the database URL a service should use, failing loudly when it is missing. */
export function databaseUrl(env: Record<string, string | undefined>, service: string): string {
  const url = env[`${service.toUpperCase()}_DATABASE_URL`] ?? env.DATABASE_URL;
  if (!url) throw new Error(`${service}: set ${service.toUpperCase()}_DATABASE_URL or DATABASE_URL`);
  return url;
}
