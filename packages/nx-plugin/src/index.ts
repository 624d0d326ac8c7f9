/**
 * @kiln/nx-plugin: kiln inside Nx. `createNodesV2` gives the workspace's root project an
 * `owners-check` target and each service (the projects `kiln artifact` packs) `artifact` and
 * `promote` targets; their executors call kiln's API in-process. Register it in nx.json:
 * `"plugins": ["@kiln/nx-plugin"]` (options: the three target names).
 */
export { createNodesV2, type KilnPluginOptions } from './nodes';
