// Every setting Machina reads (flags, environment, files), validated once at start. A wrong value
// stops the program with one line naming the setting and the reason.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Hex } from 'viem';
import { InvalidSettingError, registerSecret } from '../errors/index.ts';

export type Settings = {
  /** RPC URL of an external EVM chain; unset means the embedded devnet. */
  rpcUrl: string | undefined;
  /** Signer key for an external chain (never printed). */
  privateKey: Hex | undefined;
  /** Encrypted keystore (Web3 Secret Storage v3) for an external chain. */
  keystore: string | undefined;
  keystorePassword: string | undefined;
  /** Host every local listener binds to. */
  host: string;
  devnetPort: number;
  nodePort: number;
  /** Where `deployments/<chainId>.json` live. */
  deploymentsDir: string;
  /** Local state (devnet state, node database). */
  dataDir: string;
  /** Start the devnet from an empty chain instead of the saved state. */
  fresh: boolean;
  /** PostgreSQL for the node's index (DATABASE_URL); unset means the embedded database. */
  databaseUrl: string | undefined;
  /** Whether the node signs writes (register, feedback, validation) itself. */
  nodeSigner: boolean;
  /** The URL the node is reached at from outside, when it differs from where it listens. */
  publicUrl: string | undefined;
  /** MACHINA_X402_ROUTES: JSON array of routes the node charges for (parsed by src/node/pay/config.ts at start). */
  x402Routes: string | undefined;
  /** How the x402 gateway verifies a payment before serving: locally (`fast`) or by simulating the transfer on chain. */
  x402Verify: 'fast' | 'simulate';
  /** How often the anchoring aggregator seals and anchors a batch of submitted digests (ms). */
  anchorIntervalMs: number;
  /** The most digests one anchored batch holds; a full batch is sealed before its interval ends. */
  anchorMaxBatch: number;
  /** Largest blob the node's blob store (PUT /v1/blobs) accepts, in bytes. */
  blobMaxBytes: number;
  /** Total bytes the node's blob store may hold; a PUT past it answers 507. */
  blobQuotaBytes: number;
  /** Whether the node's compute keeper runs (assigns, finalizes, settles due jobs with the node's key). */
  computeKeeper: boolean;
  /** Period of the compute keeper's passes when no market event wakes it (ms). */
  computeKeeperMs: number;
  /** The only directory (with what is under it) whose files `machina mcp`'s compute_submit reads; unset means its working directory. */
  mcpWorkspace: string | undefined;
};

/** Aggregator defaults: a batch every 5 s or every million digests, whichever comes first. */
export const DEFAULT_ANCHOR_INTERVAL_MS = 5_000;
export const DEFAULT_ANCHOR_MAX_BATCH = 1_000_000;
/** The aggregator's hard cap on one batch (2^24 digests: a depth-24 tree, proofs of 24 hashes). */
export const MAX_ANCHOR_BATCH = 16_777_216;
/** Blob store defaults: 64 MiB per blob (an ONNX model with its inputs fits), 2 GiB in all. */
export const DEFAULT_BLOB_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_BLOB_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;
/** The compute keeper looks for due jobs every second unless a market event wakes it sooner. */
export const DEFAULT_COMPUTE_KEEPER_MS = 1_000;

/** Flag values as commander hands them over (strings or booleans). */
export type SettingFlags = Partial<Record<'rpcUrl' | 'keystore' | 'host' | 'devnetPort' | 'port' | 'deploymentsDir' | 'dataDir' | 'databaseUrl' | 'nodeSigner' | 'publicUrl', string>> & {
  fresh?: boolean;
};

type Env = Record<string, string | undefined>;

/**
 * Reads and validates every setting; flags win over the environment.
 * @example
 * const settings = loadSettings({ port: '9000' }, process.env, { node: true })
 */
export function loadSettings(flags: SettingFlags = {}, env: Env = process.env, { node = false }: { node?: boolean } = {}): Settings {
  const pick = (flag: keyof SettingFlags, envName: string): [string, string | undefined] => {
    const fromFlag = flags[flag];
    if (typeof fromFlag === 'string') return [`--${kebab(flag)}`, fromFlag];
    return [envName, env[envName] === '' ? undefined : env[envName]];
  };

  const [rpcName, rpcRaw] = pick('rpcUrl', 'MACHINA_RPC_URL');
  const rpcUrl = rpcRaw === undefined ? undefined : parseUrl(rpcName, rpcRaw);

  const keyRaw = env.MACHINA_PRIVATE_KEY === '' ? undefined : env.MACHINA_PRIVATE_KEY;
  const privateKey = keyRaw === undefined ? undefined : parsePrivateKey('MACHINA_PRIVATE_KEY', keyRaw);

  const [ksName, ksRaw] = pick('keystore', 'MACHINA_KEYSTORE');
  const keystore = ksRaw === undefined ? undefined : parseExistingFile(ksName, ksRaw);
  const keystorePassword = env.MACHINA_KEYSTORE_PASSWORD || undefined;
  if (keystorePassword) registerSecret(keystorePassword);
  if (privateKey && keystore) {
    throw new InvalidSettingError('MACHINA_PRIVATE_KEY', `give either a private key or a keystore (${ksName}), not both`);
  }

  const [hostName, hostRaw] = pick('host', 'MACHINA_HOST');
  const host = hostRaw === undefined ? '127.0.0.1' : parseHost(hostName, hostRaw);

  const [devName, devRaw] = pick('devnetPort', 'MACHINA_DEVNET_PORT');
  const devnetPort = devRaw === undefined ? 8545 : parsePort(devName, devRaw);
  const [nodeName, nodeRaw] = pick('port', 'MACHINA_NODE_PORT');
  const nodePort = nodeRaw === undefined ? 8787 : parsePort(nodeName, nodeRaw);
  if (!rpcUrl && devnetPort === nodePort && devnetPort !== 0) {
    throw new InvalidSettingError(nodeName, `port ${nodePort} is already the devnet's port (${devName})`);
  }

  const [depName, depRaw] = pick('deploymentsDir', 'MACHINA_DEPLOYMENTS_DIR');
  const deploymentsDir = parseDirectory(depName, depRaw ?? 'deployments');
  const [dataName, dataRaw] = pick('dataDir', 'MACHINA_DATA_DIR');
  const dataDir = parseDirectory(dataName, dataRaw ?? '.machina');
  const workspaceRaw = env.MACHINA_MCP_WORKSPACE === '' ? undefined : env.MACHINA_MCP_WORKSPACE;
  const mcpWorkspace = workspaceRaw === undefined ? undefined : parseExistingDirectory('MACHINA_MCP_WORKSPACE', workspaceRaw);

  // The node's own settings are read only by the command that runs a node: an unrelated
  // DATABASE_URL in the environment must not stop `machina agent list`.
  if (!node) {
    return { rpcUrl, privateKey, keystore, keystorePassword, host, devnetPort, nodePort, deploymentsDir, dataDir, fresh: flags.fresh === true, databaseUrl: undefined, nodeSigner: false, publicUrl: undefined, x402Routes: undefined, x402Verify: 'fast', anchorIntervalMs: DEFAULT_ANCHOR_INTERVAL_MS, anchorMaxBatch: DEFAULT_ANCHOR_MAX_BATCH, blobMaxBytes: DEFAULT_BLOB_MAX_BYTES, blobQuotaBytes: DEFAULT_BLOB_QUOTA_BYTES, computeKeeper: false, computeKeeperMs: DEFAULT_COMPUTE_KEEPER_MS, mcpWorkspace };
  }
  const [dbName, dbRaw] = pick('databaseUrl', 'DATABASE_URL');
  const databaseUrl = dbRaw === undefined ? undefined : parsePostgresUrl(dbName, dbRaw);

  // On the devnet the node signs with a public development account; on any other chain only when
  // its operator turns it on, since the key configured there may hold real money.
  const [signerName, signerRaw] = pick('nodeSigner', 'MACHINA_NODE_SIGNER');
  const nodeSigner = signerRaw === undefined ? !rpcUrl : parseOnOff(signerName, signerRaw);
  if (nodeSigner && rpcUrl && !privateKey && !keystore) {
    throw new InvalidSettingError(signerName, 'is on, but no key is configured (set MACHINA_PRIVATE_KEY or MACHINA_KEYSTORE)');
  }
  const [publicName, publicRaw] = pick('publicUrl', 'MACHINA_PUBLIC_URL');
  const publicUrl = publicRaw === undefined ? undefined : parseUrl(publicName, publicRaw);

  const x402Routes = env.MACHINA_X402_ROUTES === '' ? undefined : env.MACHINA_X402_ROUTES;
  const verifyRaw = env.MACHINA_X402_VERIFY === '' ? undefined : env.MACHINA_X402_VERIFY;
  if (verifyRaw !== undefined && verifyRaw !== 'fast' && verifyRaw !== 'simulate') {
    throw new InvalidSettingError('MACHINA_X402_VERIFY', `must be "fast" or "simulate" (got ${JSON.stringify(verifyRaw)})`);
  }
  const x402Verify = verifyRaw ?? 'fast';

  const anchorIntervalMs = parseIntegerSetting('MACHINA_ANCHOR_INTERVAL_MS', env.MACHINA_ANCHOR_INTERVAL_MS, DEFAULT_ANCHOR_INTERVAL_MS, 50, 86_400_000);
  const anchorMaxBatch = parseIntegerSetting('MACHINA_ANCHOR_MAX_BATCH', env.MACHINA_ANCHOR_MAX_BATCH, DEFAULT_ANCHOR_MAX_BATCH, 1, MAX_ANCHOR_BATCH);

  // The blob store is open to whoever reaches the node (a provider elsewhere stores its output there): a cap per
  // blob and a quota on the whole store bound what callers can make it hold.
  const blobMaxBytes = parseIntegerSetting('MACHINA_BLOB_MAX_BYTES', env.MACHINA_BLOB_MAX_BYTES, DEFAULT_BLOB_MAX_BYTES, 1, 2 ** 32);
  const blobQuotaBytes = parseIntegerSetting('MACHINA_BLOB_QUOTA_BYTES', env.MACHINA_BLOB_QUOTA_BYTES, DEFAULT_BLOB_QUOTA_BYTES, 0, 2 ** 50);
  // The keeper signs with the node's key, so it runs only where the node signs.
  const keeperRaw = env.MACHINA_COMPUTE_KEEPER === '' ? undefined : env.MACHINA_COMPUTE_KEEPER;
  const computeKeeper = keeperRaw === undefined ? nodeSigner : parseOnOff('MACHINA_COMPUTE_KEEPER', keeperRaw);
  if (computeKeeper && !nodeSigner) throw new InvalidSettingError('MACHINA_COMPUTE_KEEPER', `is on, but the node does not sign (${signerName} is off)`);
  const computeKeeperMs = parseIntegerSetting('MACHINA_COMPUTE_KEEPER_MS', env.MACHINA_COMPUTE_KEEPER_MS, DEFAULT_COMPUTE_KEEPER_MS, 50, 3_600_000);

  return { rpcUrl, privateKey, keystore, keystorePassword, host, devnetPort, nodePort, deploymentsDir, dataDir, fresh: flags.fresh === true, databaseUrl, nodeSigner, publicUrl, x402Routes, x402Verify, anchorIntervalMs, anchorMaxBatch, blobMaxBytes, blobQuotaBytes, computeKeeper, computeKeeperMs, mcpWorkspace };
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function parseUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidSettingError(name, `not a URL (got "${raw}")`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new InvalidSettingError(name, `must be an http(s) or ws(s) URL (got "${url.protocol}")`);
  }
  return raw;
}

function parsePostgresUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The URL may hold a password: it is not echoed.
    throw new InvalidSettingError(name, 'not a URL (expected postgres://user@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new InvalidSettingError(name, `must be a postgres:// URL (got "${url.protocol}")`);
  }
  if (url.password) registerSecret(decodeURIComponent(url.password));
  return raw;
}

function parseOnOff(name: string, raw: string): boolean {
  if (/^(on|true|1|yes)$/i.test(raw)) return true;
  if (/^(off|false|0|no)$/i.test(raw)) return false;
  throw new InvalidSettingError(name, `must be on or off (got "${raw}")`);
}

export function parsePrivateKey(name: string, raw: string): Hex {
  registerSecret(raw);
  const key = raw.startsWith('0x') ? raw : `0x${raw}`;
  // The value itself is never echoed: it is a secret even when malformed.
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new InvalidSettingError(name, 'must be 32 bytes of hex (64 hex digits, optional 0x)');
  if (/^0x0{64}$/.test(key)) throw new InvalidSettingError(name, 'must not be zero');
  registerSecret(key);
  return key as Hex;
}

/** A whole number within [min, max], or the default when unset. */
function parseIntegerSetting(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new InvalidSettingError(name, `must be a whole number (got ${JSON.stringify(raw)})`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new InvalidSettingError(name, `must be between ${min} and ${max} (got ${n})`);
  return n;
}

export function parsePort(name: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw new InvalidSettingError(name, `must be an integer port 0-65535 (got "${raw}")`);
  const port = Number(raw);
  if (port > 65535) throw new InvalidSettingError(name, `must be an integer port 0-65535 (got ${port})`);
  return port;
}

function parseHost(name: string, raw: string): string {
  if (!/^[A-Za-z0-9.:-]+$/.test(raw)) throw new InvalidSettingError(name, `not a host name or IP address (got "${raw}")`);
  return raw;
}

function parseExistingFile(name: string, raw: string): string {
  const file = path.resolve(raw);
  if (!existsSync(file) || !statSync(file).isFile()) throw new InvalidSettingError(name, `no such file: ${raw}`);
  return file;
}

function parseExistingDirectory(name: string, raw: string): string {
  const dir = path.resolve(raw);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InvalidSettingError(name, `no such directory: ${raw}`);
  return dir;
}

function parseDirectory(name: string, raw: string): string {
  const dir = path.resolve(raw);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new InvalidSettingError(name, `not a directory: ${raw}`);
  return dir;
}
