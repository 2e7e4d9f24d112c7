// `machina pay URL` (fetch an x402-priced resource, paying from an EOA or an agent account, and show
// the node's receipt) and `machina faucet` (settlement tokens on the devnet).
import type { Command } from 'commander';
import { isAddress, getAddress, type Address } from 'viem';
import { DEVNET_CHAIN_ID } from '../../chain/devnet.ts';
import { InvalidArgumentError, MachinaError } from '../../errors/index.ts';
import { createPayingFetch, type Payer } from '../../pay/x402/client.ts';
import { faucet, formatTokenAmount, parseTokenAmount, tokenBalance } from '../../pay/token.ts';
import { parseIntIn } from '../args.ts';
import { openContext } from '../context.ts';
import { emit, table } from '../output.ts';
import { addChainOptions, addSignerOptions, type GlobalOptions } from './options.ts';

type PayOptions = GlobalOptions & { max?: string; key?: string; approvalTimeout: string; method: string; data?: string };

export function addPayCommands(program: Command) {
  addChainOptions(
    program
      .command('pay')
      .description('fetch an x402-priced resource, paying automatically, and show the receipt')
      .argument('<URL>')
      .option('--account <ADDR|index>', 'pay from this agent account (signed by the agent key: MACHINA_PRIVATE_KEY, a keystore, or --key on the devnet); a digit 0-9 pays from that devnet development account')
      .option('--key <index>', 'devnet only: the development account holding the agent key (with --account ADDR)')
      .option('--max <tokens>', 'refuse to pay more than this per request, in tokens (e.g. 0.5)')
      .option('--approval-timeout <seconds>', "how long to wait for the owner's approval when the policy escalates", '600')
      .option('--method <method>', 'HTTP method', 'GET')
      .option('--data <body>', 'request body'),
  ).action(async (url: string, opts: PayOptions) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new InvalidArgumentError('URL', `not a URL: "${url.slice(0, 100)}"`);
    }
    const max = opts.max === undefined ? undefined : parseTokenAmount(opts.max, '--max');
    const approvalTimeoutMs = parseIntIn(opts.approvalTimeout, '--approval-timeout', 1, 86_400) * 1000;
    const accountAddress = opts.account !== undefined && isAddress(opts.account) ? getAddress(opts.account) : undefined;
    if (opts.account !== undefined && !accountAddress && !/^\d$/.test(opts.account)) throw new InvalidArgumentError('--account', `must be an agent account address or a devnet account index 0-9 (got "${opts.account}")`);
    if (opts.key !== undefined && !accountAddress) throw new InvalidArgumentError('--key', 'only with --account ADDR (the agent key of that account)');
    const ctx = await openContext({ ...opts, account: accountAddress ? opts.key : opts.account });
    const wallet = ctx.wallet();
    const payer: Payer = accountAddress ? { kind: 'account', account: accountAddress, keyWallet: wallet } : { kind: 'eoa', wallet };
    const events: string[] = [];
    const pay = createPayingFetch({
      client: ctx.client,
      payer,
      maxAmount: max,
      approvalTimeoutMs,
      onEvent: (e) => {
        if (e.type === 'pending-approval') {
          const line = `payment escalated to the owner of ${e.account} (pending action ${e.pendingId}); waiting up to ${approvalTimeoutMs / 1000} s (machina wallet approve ${e.account} ${e.pendingId})`;
          events.push(line);
          if (!opts.json) process.stderr.write(`${line}\n`);
        }
      },
    });
    const res = await pay(target, { method: opts.method.toUpperCase(), ...(opts.data !== undefined ? { body: opts.data, headers: { 'content-type': 'application/json' } } : {}) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: shown as text
    }
    const receipt = pay.lastReceipt();
    const settle = res.headers.get('payment-response') ?? res.headers.get('x-payment-response');
    if (res.status === 402) {
      const reason = typeof body === 'object' && body && 'error' in body ? String((body as { error: unknown }).error) : `status 402`;
      throw new MachinaError(`${target.href}: payment refused (${reason})`, { code: 'PAYMENT_REFUSED', field: 'URL' });
    }
    emit({ json: !!opts.json }, { url: target.href, status: res.status, paid: !!settle, receipt: receipt ?? null, body }, () => [
      `${res.status} ${target.href}${settle ? '' : ' (no payment asked)'}`,
      ...(receipt
        ? table([
            ['payment', receipt.paymentId],
            ['amount', `${formatTokenAmount(BigInt(receipt.amount))} tokens`],
            ['payer', receipt.payer],
            ['pay to', receipt.payTo],
            ['status', receipt.status],
            ['tx', receipt.txHash],
            ['receipt signed by', receipt.signer],
          ])
        : []),
      typeof body === 'string' ? body.slice(0, 2000) : JSON.stringify(body, null, 2).slice(0, 2000),
    ]);
  });

  addSignerOptions(
    program
      .command('faucet')
      .description('devnet only: settlement tokens (mUSD) for an address, from the token faucet')
      .argument('[ADDRESS]', "who gets them (default: the signer's address)")
      .option('--amount <tokens>', 'how many tokens (at most 1000000)', '1000'),
  ).action(async (rawAddress: string | undefined, opts: GlobalOptions & { amount: string }) => {
    const amount = parseTokenAmount(opts.amount, '--amount');
    if (rawAddress !== undefined && !isAddress(rawAddress)) throw new InvalidArgumentError('ADDRESS', `must be a 0x address (got "${rawAddress.slice(0, 60)}")`);
    const ctx = await openContext(opts);
    if (ctx.client.chain.id !== DEVNET_CHAIN_ID) throw new MachinaError(`the faucet exists only on the devnet (chain ${DEVNET_CHAIN_ID}), not on chain ${ctx.client.chain.id}`, { code: 'FAUCET_DISABLED', field: 'faucet' });
    const token = ctx.address('SettlementToken');
    const to: Address = rawAddress ? getAddress(rawAddress) : ctx.wallet().account.address;
    const { txHash } = await faucet(ctx.client, ctx.wallet(), { token, to, amount });
    const balance = await tokenBalance(ctx.client, { token, owner: to });
    emit({ json: !!opts.json }, { to, amount, token, balance, tx: txHash }, () => [`sent ${formatTokenAmount(amount)} mUSD to ${to}`, ...table([['balance', `${formatTokenAmount(balance)} mUSD`], ['token', token], ['tx', txHash]])]);
  });
}
