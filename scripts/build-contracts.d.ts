// Types of the plain-JS build script, for the TypeScript callers.
export function buildContracts(options?: { quiet?: boolean }): string[];
export function newestSourceTime(dir?: string): number;
