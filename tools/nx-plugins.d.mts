/** Types for nx-plugins.mjs, so the TypeScript tests can use it. */
export declare const nxVersion: string;
export declare const nxPlugins: readonly string[];
export declare const nxPluginsFolder: string;
export declare function installNxPlugins(): Promise<string>;
