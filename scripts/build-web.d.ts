// Types of scripts/build-web.js, for the TypeScript callers (`machina up`, the tests).
export declare const webDir: string;
export declare const webDistDir: string;
/** Newest modification time (ms) of the dashboard's sources. */
export declare function newestWebSourceTime(dir?: string): number;
/** True when web/dist holds a complete build newer than every source. */
export declare function isWebBuildFresh(): boolean;
/**
 * Builds web/ into web/dist unless it is already up to date.
 * @example
 * const { built } = await buildWeb({ quiet: true })
 */
export declare function buildWeb(options?: { quiet?: boolean; force?: boolean }): Promise<{ built: boolean; outDir: string; ms: number }>;
