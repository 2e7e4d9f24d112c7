// The Machina protocol: which contracts a deployment holds, in which order, and how they are wired.
// Each domain adds its contracts and wiring here as it lands.
import {
  identityRegistryAbi,
  identityRegistryBytecode,
  paymentReceiptsAbi,
  paymentReceiptsBytecode,
  reputationRegistryAbi,
  reputationRegistryBytecode,
  validationRegistryAbi,
  validationRegistryBytecode,
} from '../chain/artifacts/index.ts';
import type { DeployPlan } from '../chain/deploy.ts';

export const protocolPlan: DeployPlan = {
  contracts: [
    { name: 'IdentityRegistry', abi: identityRegistryAbi, bytecode: identityRegistryBytecode },
    {
      name: 'ReputationRegistry',
      abi: reputationRegistryAbi,
      bytecode: reputationRegistryBytecode,
      args: ({ addresses, wallet }) => [addresses.IdentityRegistry, wallet.account.address],
    },
    { name: 'ValidationRegistry', abi: validationRegistryAbi, bytecode: validationRegistryBytecode, args: ({ addresses }) => [addresses.IdentityRegistry] },
    { name: 'PaymentReceipts', abi: paymentReceiptsAbi, bytecode: paymentReceiptsBytecode, args: ({ addresses }) => [addresses.IdentityRegistry] },
  ],
  wiring: [
    {
      description: 'ReputationRegistry accepts PaymentReceipts as a receipt source',
      isDone: ({ client, addresses }) =>
        client.readContract({ address: addresses.ReputationRegistry!, abi: reputationRegistryAbi, functionName: 'isReceiptSource', args: [addresses.PaymentReceipts!] }),
      run: ({ wallet, addresses }) =>
        wallet.writeContract({ address: addresses.ReputationRegistry!, abi: reputationRegistryAbi, functionName: 'setReceiptSource', args: [addresses.PaymentReceipts!, true] }),
    },
  ],
};
