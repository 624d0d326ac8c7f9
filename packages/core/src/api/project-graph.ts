/** The project graph of a loaded workspace: its sources scanned for imports, then the graph built. */
export { projectGraph, projectSourceFiles } from '../scan/index.js';
