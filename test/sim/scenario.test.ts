// Scenario files: the shipped ones load, bad input is rejected with the field's path, parameters set by path.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../src/errors/base.ts';
import { loadScenario, parseScenario, population, SCENARIOS_DIR, seedsOf, setParam } from '../../src/sim/index.ts';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(e)}`);
    return e.field;
  }
  assert.fail('expected a throw');
}

describe('scenarios', () => {
  it('every shipped scenario loads, by name and by path', () => {
    const files = readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.json'));
    for (const need of ['baseline.json', 'flash-crash.json', 'herd-sweep.json', '10k-agents.json']) assert.ok(files.includes(need), need);
    for (const f of files) {
      const sc = loadScenario(f.replace(/\.json$/, ''));
      assert.equal(sc.name, f.replace(/\.json$/, ''));
      assert.deepEqual(loadScenario(`${SCENARIOS_DIR}/${f}`), sc);
    }
    const sweep = loadScenario('herd-sweep').sweep!;
    assert.equal(sweep.x.param, 'agents.herdShare');
    assert.deepEqual(sweep.series?.values, ['off', 'on']);
    assert.equal(population(loadScenario('10k-agents')).length, 10_000);
  });

  it('fills defaults', () => {
    const sc = parseScenario({ steps: 10, agents: { ai: 4 } }, 'tiny');
    assert.equal(sc.name, 'tiny');
    assert.equal(sc.blockSeconds, 12);
    assert.equal(sc.market.breaker.window, 60);
    assert.equal(sc.lending.borrowers.count, 200);
    assert.equal(sc.oracle.source, 'pool');
    assert.deepEqual(seedsOf(sc), [1]);
    assert.deepEqual(seedsOf({ ...sc, seeds: 3 }), [1, 2, 3]);
    assert.deepEqual(seedsOf({ ...sc, seeds: [7, 9] }), [7, 9]);
  });

  it('names the bad field and the reason', () => {
    assert.equal(fieldOf(() => parseScenario({ agents: {} })), 'scenario.steps');
    assert.equal(fieldOf(() => parseScenario({ steps: 10, agents: { ai: -1 } })), 'scenario.agents.ai');
    assert.equal(fieldOf(() => parseScenario({ steps: 10, agents: { herdShare: 1.5 } })), 'scenario.agents.herdShare');
    assert.equal(fieldOf(() => parseScenario({ steps: 10, agents: { robots: 3 } })), 'scenario.agents.robots');
    assert.equal(fieldOf(() => parseScenario({ steps: 10, agents: {}, market: { breaker: { threshold: 'big' } } })), 'scenario.market.breaker.threshold');
    assert.equal(fieldOf(() => parseScenario({ steps: 10, agents: {}, market: { fee: 5000, maxFee: 1000 } })), 'scenario.market.maxFee');
    assert.equal(fieldOf(() => parseScenario({ steps: 10, agents: {}, shocks: [{ kind: 'feed', step: 20, change: -0.2 }] })), 'scenario.shocks.0.step');
    assert.equal(fieldOf(() => parseScenario({ steps: 10, agents: {}, shocks: [{ kind: 'meteor', step: 2 }] })), 'scenario.shocks.0.kind');
    assert.equal(fieldOf(() => parseScenario({ steps: 10, agents: {}, oracle: { source: 'moon' } })), 'scenario.oracle.source');
    assert.equal(
      fieldOf(() => parseScenario({ steps: 10, agents: {}, sweep: { x: { param: 'agents.nope', values: [1] } } })),
      'scenario.sweep.x.param',
    );
    assert.equal(fieldOf(() => loadScenario('no-such-scenario')), 'scenario');
    try {
      parseScenario({ steps: 10, agents: { ai: -1 } });
    } catch (e) {
      assert.match((e as Error).message, /agents\.ai: .*>=0/);
    }
  });

  it('sets a parameter by path and validates the result', () => {
    const sc = parseScenario({ steps: 10, agents: { ai: 10 } }, 's');
    assert.equal(setParam(sc, 'agents.herdShare', 0.4).agents.herdShare, 0.4);
    assert.equal(setParam(sc, 'market.breaker.threshold', 50_000).market.breaker.threshold, 50_000);
    assert.equal(setParam(sc, 'protections', 'on').protections, 'on');
    assert.equal(setParam(sc, 'agents.herdShare', 0.4).name, 's');
    assert.equal(sc.agents.herdShare, 0, 'the original is untouched');
    assert.throws(() => setParam(sc, 'agents.herdShare', 2), InvalidArgumentError);
    assert.throws(() => setParam(sc, 'market.nothing.here', 1), InvalidArgumentError);
  });

  it('never reaches a prototype through a parameter path', () => {
    const sc = parseScenario({ steps: 10, agents: { ai: 10 } }, 's');
    for (const path of ['__proto__.hasOwnProperty', 'agents.__proto__.x', 'constructor.prototype.polluted', 'agents.constructor', 'toString', 'agents.hasOwnProperty']) {
      assert.equal(fieldOf(() => setParam(sc, path, 1, 'scenario.sweep.x.param')), 'scenario.sweep.x.param', path);
    }
    assert.equal(typeof Object.prototype.hasOwnProperty, 'function');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(
      fieldOf(() => parseScenario({ steps: 10, agents: {}, sweep: { x: { param: '__proto__.polluted', values: [1] } } })),
      'scenario.sweep.x.param',
    );
  });

  it('bounds what one file may ask for', () => {
    assert.equal(fieldOf(() => parseScenario({ steps: 2_000_000, agents: {} })), 'scenario.steps');
    assert.equal(fieldOf(() => parseScenario({ steps: 10, seeds: 10_001, agents: {} })), 'scenario.seeds');
    assert.equal(fieldOf(() => parseScenario({ steps: 10, seeds: [], agents: {} })), 'scenario.seeds');
    assert.equal(fieldOf(() => parseScenario({ steps: 10, agents: { total: 2_000_000, ai: 1 } })), 'scenario.agents.total');
    assert.equal(fieldOf(() => parseScenario({ steps: 10, agents: { ai: 2_000_000 } })), 'scenario.agents.ai');
    assert.equal(fieldOf(() => parseScenario({ steps: 10, agents: { ai: 600_000, momentum: 600_000 } })), 'scenario.agents');
    assert.equal(fieldOf(() => parseScenario({ steps: 10, agents: {}, lending: { borrowers: { count: 2_000_000 } } })), 'scenario.lending.borrowers.count');
    const values = Array.from({ length: 1001 }, (_, i) => i / 1001);
    assert.equal(
      fieldOf(() => parseScenario({ steps: 10, seeds: 100, agents: {}, sweep: { x: { param: 'agents.herdShare', values } } })),
      'scenario.sweep',
    );
    parseScenario({ steps: 10, seeds: 99, agents: {}, sweep: { x: { param: 'agents.herdShare', values } } });
  });

  it('resolves populations from counts or shares, herdShare of the AI traders sharing one model', () => {
    const counts = population(parseScenario({ steps: 1, agents: { ai: 10, herdShare: 0.3, arbitrageur: 2 } }));
    assert.equal(counts.length, 12);
    assert.equal(counts.filter((p) => p.strategy === 'herd').length, 3);
    assert.equal(counts.filter((p) => p.strategy === 'ml').length, 7);
    assert.ok(counts.filter((p) => p.herd).every((p) => p.strategy === 'herd'));
    const shares = population(parseScenario({ steps: 1, agents: { total: 101, momentum: 1, meanReversion: 1, ai: 2 } }));
    assert.equal(shares.length, 101);
    assert.equal(shares.filter((p) => p.strategy === 'ml').length, 51);
  });
});
