/** `kiln graph`'s load: the workspace and its project graph in one pass (the scan starts before the configuration is read). */
export { loadWorkspaceAndGraph } from '../scan/index.js';
