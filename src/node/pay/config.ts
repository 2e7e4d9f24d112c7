// Routes priced by settings: MACHINA_X402_ROUTES is a JSON array of
// {"path": "/v1/agents/:agentId", "price": "0.01", "agentId": "3" | "payTo": "0x…", "method"?: "GET", "description"?: "…"}.
import { getAddress, isAddress } from 'viem';
import { InvalidSettingError } from '../../errors/index.ts';
import { parseTokenAmount } from '../../pay/token.ts';
import type { PricedRoute } from './gateway.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Parses and validates the priced routes setting; an error names the setting, the entry and the reason.
 * @example
 * parseX402Routes('[{"path":"/v1/agents/:agentId","price":"0.01","agentId":"0"}]')
 */
export function parseX402Routes(json: string | undefined, setting = 'MACHINA_X402_ROUTES'): PricedRoute[] {
  if (json === undefined || json.trim() === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new InvalidSettingError(setting, `not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(raw)) throw new InvalidSettingError(setting, 'must be a JSON array of {path, price, agentId | payTo}');
  return raw.map((r: unknown, i): PricedRoute => {
    const at = `${setting}[${i}]`;
    if (!r || typeof r !== 'object') throw new InvalidSettingError(at, 'must be an object {path, price, agentId | payTo}');
    const e = r as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!['path', 'price', 'agentId', 'payTo', 'method', 'description', 'mimeType', 'maxTimeoutSeconds'].includes(k)) throw new InvalidSettingError(`${at}.${k}`, 'unknown field');
    if (typeof e.path !== 'string' || !/^\/[A-Za-z0-9_\-./:*{}]*$/.test(e.path)) throw new InvalidSettingError(`${at}.path`, 'must be a route path such as /v1/agents/:agentId');
    if (typeof e.price !== 'string') throw new InvalidSettingError(`${at}.price`, 'must be a decimal string of tokens such as "0.01"');
    let price: bigint;
    try {
      price = parseTokenAmount(e.price, `${at}.price`);
    } catch (err) {
      throw new InvalidSettingError(`${at}.price`, (err as Error).message.replace(/^[^:]*: /, ''));
    }
    if (price <= 0n) throw new InvalidSettingError(`${at}.price`, 'must be greater than zero');
    if ((e.agentId === undefined) === (e.payTo === undefined)) throw new InvalidSettingError(at, 'give exactly one of agentId (paid to the agent, settled in batches with receipts) or payTo (an address)');
    if (e.agentId !== undefined && (typeof e.agentId !== 'string' || !/^\d{1,78}$/.test(e.agentId))) throw new InvalidSettingError(`${at}.agentId`, 'must be a decimal agent id string');
    if (e.payTo !== undefined && (typeof e.payTo !== 'string' || !isAddress(e.payTo))) throw new InvalidSettingError(`${at}.payTo`, 'must be a 0x address');
    const method = e.method === undefined ? 'GET' : String(e.method).toUpperCase();
    if (!METHODS.includes(method)) throw new InvalidSettingError(`${at}.method`, `must be one of ${METHODS.join(', ')}`);
    if (e.description !== undefined && typeof e.description !== 'string') throw new InvalidSettingError(`${at}.description`, 'must be a string');
    const timeout = e.maxTimeoutSeconds;
    if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 10 || timeout > 86_400)) throw new InvalidSettingError(`${at}.maxTimeoutSeconds`, 'must be an integer 10-86400');
    return {
      method,
      path: e.path,
      price,
      agentId: e.agentId === undefined ? undefined : BigInt(e.agentId as string),
      payTo: e.payTo === undefined ? undefined : getAddress(e.payTo as string),
      description: e.description as string | undefined,
      mimeType: typeof e.mimeType === 'string' ? e.mimeType : undefined,
      maxTimeoutSeconds: timeout as number | undefined,
    };
  });
}
