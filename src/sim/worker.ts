// Runs many simulations, in worker threads when more than one worker is asked for (one per core by default for
// batches), and in this thread otherwise. Results come back in job order. This file is also the worker's entry:
// in a worker thread it runs one simulation per message and posts back its metrics.
import { availableParallelism } from 'node:os';
import { parentPort, Worker } from 'node:worker_threads';
import { runSimulation } from './engine.ts';
import type { Scenario } from './scenario.ts';
import type { Progress, RunMetrics, SimRun } from './types.ts';

export type Job = { scenario: Scenario; seed: number; whole: boolean };

/** The default worker count for a batch: one per core, at most one per job, 1 for a single job. */
export function defaultWorkers(jobs: number): number {
  return Math.max(1, Math.min(availableParallelism(), jobs));
}

export async function runPool(
  jobs: Job[],
  o: {
    workers?: number | undefined;
    onProgress?: Progress | undefined;
    runWhole: (job: Job) => SimRun;
    onWhole: (run: SimRun, job: Job) => void;
  },
): Promise<RunMetrics[]> {
  const results = new Array<RunMetrics>(jobs.length);
  let done = 0;
  const workers = Math.min(o.workers ?? defaultWorkers(jobs.length), jobs.length);
  // whole runs (kept for charts) always run here, so the big arrays never cross a thread boundary
  for (const [i, job] of jobs.entries()) {
    if (!job.whole) continue;
    const run = o.runWhole(job);
    o.onWhole(run, job);
    results[i] = run.metrics;
    o.onProgress?.(++done, jobs.length);
  }
  const rest = jobs.map((j, i) => [j, i] as const).filter(([j]) => !j.whole);
  if (workers <= 1 || rest.length <= 1) {
    for (const [job, i] of rest) {
      results[i] = runSimulation(job.scenario, job.seed).metrics;
      o.onProgress?.(++done, jobs.length);
    }
    return results;
  }
  let next = 0;
  // Workers do not inherit tsx's loader hooks: a small bootstrap registers tsx, then loads this file.
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  await Promise.all(
    Array.from({ length: Math.min(workers, rest.length) }, () =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(bootstrap, { eval: true });
        const feed = () => {
          if (next >= rest.length) {
            void w.terminate().then(() => resolve());
            return;
          }
          const [job, i] = rest[next++]!;
          w.once('message', (m: RunMetrics) => {
            results[i] = m;
            o.onProgress?.(++done, jobs.length);
            feed();
          });
          w.postMessage({ scenario: job.scenario, seed: job.seed });
        };
        w.once('error', reject);
        w.once('online', feed);
      }),
    ),
  );
  return results;
}

parentPort?.on('message', (m: { scenario: Scenario; seed: number }) => {
  parentPort!.postMessage(runSimulation(m.scenario, m.seed).metrics);
});
