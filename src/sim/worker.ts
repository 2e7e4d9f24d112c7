// Worker thread: runs one simulation per message and posts back its metrics.
import { parentPort } from 'node:worker_threads';
import { runSimulation } from './engine.ts';
import type { Scenario } from './scenario.ts';

parentPort?.on('message', (m: { scenario: Scenario; seed: number }) => {
  parentPort!.postMessage(runSimulation(m.scenario, m.seed).metrics);
});
