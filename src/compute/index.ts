// The compute market: typed chain actions and reads (market), the buyer's flow (buyer), errors, and the
// off-chain matcher. Workloads (`./workloads/index.ts`), blobs and the provider daemon have their own entry points.
export * from './errors.ts';
export * from './market.ts';
export * from './buyer.ts';
export * from './matcher.ts';
