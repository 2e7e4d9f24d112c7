// The data marketplace: terms and consent scopes, exact money splits, typed DataMarket actions and reads,
// sealed delivery (ECIES) with verification against the chain, and synthetic example records.
// Compute-to-data (`./computeToData.ts`) and model inference (`./inference.ts`) have their own entry points.
export * from './errors.ts';
export * from './terms.ts';
export * from './split.ts';
export * from './market.ts';
export * from './crypto.ts';
export * from './deliveryFormat.ts';
export * from './deliveryRequest.ts';
export * from './deliverySeal.ts';
export { fetchLicensedData, verifyFile, type DeliveredFile, type DeliveryProgress, type FetchLicensedDataParameters, type FetchLicensedDataReturnType } from './delivery.ts';
export * from './examples/patients.ts';
