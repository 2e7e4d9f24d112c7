// Types of the plain-JS wasm build script, for the TypeScript callers.
export const watPath: string;
export const modulePath: string;
export function compileKeccakWasm(): Promise<Uint8Array>;
export function keccakWasmModule(bytes: Uint8Array): string;
export function buildWasm(): Promise<string>;
export const demoWatPath: string;
export const demoModulePath: string;
export function compileDemoWasm(): Promise<Uint8Array>;
export function demoWasmModule(bytes: Uint8Array): string;
