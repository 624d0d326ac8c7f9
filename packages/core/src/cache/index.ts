/**
 * cache: where task results are kept. `LocalCache` is the content-addressed store in the
 * workspace (`.kiln/cache` by default; nx.json `kiln.cacheDirectory` and `kiln.cacheMaxSize`
 * change it). An entry holds a successful task's outputs, its terminal log and its fingerprint.
 * `RemoteCache` is the interface a shared (HTTP, S3...) cache implements; none ships yet.
 *
 * Edge module: it reads and writes files. What goes into a hash is `hash/`'s business, when to
 * store or restore is the runner's (`tasks/`).
 */
export * from './local.js';
export * from './remote.js';
