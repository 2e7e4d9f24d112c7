// Which key signs: an explicit private key, an encrypted keystore, or on the embedded devnet one of
// anvil's public development accounts. The key stays inside the viem account object.
import { readFileSync } from 'node:fs';
import type { Account } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { InvalidSettingError } from '../errors/index.ts';
import type { Settings } from '../config/settings.ts';
import { DEVNET_CHAIN_ID, DEVNET_MNEMONIC } from './devnet.ts';
import { decryptKeystore } from './keystore.ts';

export type ResolveSignerParameters = {
  settings: Pick<Settings, 'privateKey' | 'keystore' | 'keystorePassword'>;
  chainId: number;
  /** Index of a devnet development account (0-9); only on the devnet. */
  devAccount?: number | undefined;
};

/**
 * Returns the signing account, or `undefined` when none is configured (read-only use).
 * @example
 * const account = resolveSigner({ settings, chainId: 31337 })
 */
export function resolveSigner({ settings, chainId, devAccount }: ResolveSignerParameters): Account | undefined {
  if (settings.privateKey) return privateKeyToAccount(settings.privateKey);
  if (settings.keystore) {
    if (!settings.keystorePassword) {
      throw new InvalidSettingError('MACHINA_KEYSTORE_PASSWORD', 'required to unlock MACHINA_KEYSTORE');
    }
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(settings.keystore, 'utf8'));
    } catch (err) {
      throw new InvalidSettingError('MACHINA_KEYSTORE', `cannot read keystore (${(err as Error).message})`);
    }
    return privateKeyToAccount(decryptKeystore(json, settings.keystorePassword));
  }
  if (chainId === DEVNET_CHAIN_ID) return devnetAccount(devAccount ?? 0);
  return undefined;
}

/** One of anvil's ten development accounts. */
export function devnetAccount(index: number): Account {
  if (!Number.isInteger(index) || index < 0 || index > 9) throw new InvalidSettingError('--account', `must be an integer 0-9 (got ${index})`);
  return mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index });
}
