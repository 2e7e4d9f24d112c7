export * from './base.ts';
export * from './secrets.ts';
export { formatError } from './format.ts';
