import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  REGISTRATION_TYPE,
  buildRegistrationFile,
  fetchRegistrationFile,
  parseRegistrationFile,
  parseServiceFlag,
  toDataUri,
} from '../src/identity/registrationFile.ts';
import { InvalidArgumentError } from '../src/errors/index.ts';

const registry = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

describe('registration file', () => {
  it('builds a file that validates and names its registry as eip155:{chainId}:{address}', () => {
    const file = buildRegistrationFile({
      name: 'summarizer',
      description: 'Summarizes documents',
      services: [{ name: 'MCP', endpoint: 'https://agent.example/mcp', version: '2025-06-18' }],
      x402Support: true,
      registration: { agentId: 7n, chainId: 31337, registry },
    });
    assert.equal(file.type, REGISTRATION_TYPE);
    assert.deepEqual(file.registrations, [{ agentId: 7, agentRegistry: `eip155:31337:${registry}` }]);
    assert.equal(file.x402Support, true);
    assert.equal(file.active, true);
    assert.deepEqual(parseRegistrationFile(JSON.parse(JSON.stringify(file))), file);
  });

  it('names the faulty field', () => {
    const good = buildRegistrationFile({ name: 'a', description: 'b', services: [{ name: 'web', endpoint: 'https://x' }] });
    const cases: Array<[unknown, RegExp]> = [
      [{ ...good, type: 'x' }, /^registration\.type: must be/],
      [{ ...good, name: '' }, /^registration\.name: must not be empty/],
      [{ ...good, services: [{ name: 'web', endpoint: '' }] }, /^registration\.services\[0\]\.endpoint: must not be empty/],
      [{ ...good, registrations: [{ agentId: 1, agentRegistry: 'eip155:1:0x12' }] }, /^registration\.registrations\[0\]\.agentRegistry: must be "eip155/],
      [{ ...good, x402Support: 'yes' }, /^registration\.x402Support:/],
      [null, /^registration:/],
    ];
    for (const [input, re] of cases) {
      assert.throws(() => parseRegistrationFile(input), (err: unknown) => err instanceof InvalidArgumentError && re.test(err.message));
    }
  });

  it('keeps fields it does not know (the spec allows extensions)', () => {
    const file = parseRegistrationFile({ ...buildRegistrationFile({ name: 'a', description: '' }), customField: { x: 1 } });
    assert.deepEqual((file as Record<string, unknown>).customField, { x: 1 });
  });

  it('round-trips through a data: URI', async () => {
    const file = buildRegistrationFile({ name: 'ünïcode ✓', description: 'd' });
    assert.deepEqual(await fetchRegistrationFile(toDataUri(file)), file);
    assert.equal(await fetchRegistrationFile('ipfs://bafy'), undefined);
    await assert.rejects(fetchRegistrationFile('data:application/json;base64,bm90IGpzb24='), /agentURI: registration file is not valid JSON/);
  });

  it('parses --service NAME=ENDPOINT[@VERSION]', () => {
    assert.deepEqual(parseServiceFlag('MCP=https://h/mcp'), { name: 'MCP', endpoint: 'https://h/mcp' });
    assert.deepEqual(parseServiceFlag('A2A=https://h/card.json@0.3.0'), { name: 'A2A', endpoint: 'https://h/card.json', version: '0.3.0' });
    assert.deepEqual(parseServiceFlag('email=mailto:bot@example.com'), { name: 'email', endpoint: 'mailto:bot@example.com' });
    assert.throws(() => parseServiceFlag('nope'), /--service: expected NAME=ENDPOINT/);
    assert.throws(() => parseServiceFlag('=x'), /--service/);
  });
});
