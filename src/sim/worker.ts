// Runs many simulations, in worker threads when more than one worker is asked for (one per core by default for
// batches), and in this thread otherwise. Results come back in job order; the first failure (a worker's error,
// or a worker exiting early) stops the pool and rejects. This file is also the worker's entry: in a thread this
// pool started (workerData flag), it runs one simulation per message and posts back its metrics.
import { availableParallelism } from 'node:os';
import { parentPort, Worker, workerData } from 'node:worker_threads';
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
  await runInWorkers(rest, Math.min(workers, rest.length), (i, m) => {
    results[i] = m;
    o.onProgress?.(++done, jobs.length);
  });
  return results;
}

/** Marks a thread started by runInWorkers: only such a thread runs simulations for the messages it gets. */
const WORKER_FLAG = 'machina-sim-worker';

/**
 * Runs `jobs` on `count` worker threads, each taking the next job when it finishes one. On the first error
 * (a worker's exception, or a worker exiting before its job came back) no more jobs are handed out, every worker
 * is terminated and the promise rejects; it resolves once every job's metrics arrived and the workers are gone.
 */
function runInWorkers(jobs: readonly (readonly [Job, number])[], count: number, onResult: (index: number, m: RunMetrics) => void): Promise<void> {
  // Workers do not inherit tsx's loader hooks: a small bootstrap registers tsx, then loads this file.
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  return new Promise<void>((resolve, reject) => {
    /** Each live worker and the job index it is running (undefined: idle, or told to stop). */
    const running = new Map<Worker, number | undefined>();
    let next = 0;
    let received = 0;
    let settled = false;
    /** Ends the pool: stops handing out jobs, terminates every worker, then settles (their exits are expected). */
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      const pool = [...running.keys()];
      running.clear();
      void Promise.allSettled(pool.map((w) => w.terminate())).then(() => (err === undefined ? resolve() : reject(err instanceof Error ? err : new Error(String(err)))));
    };
    const feed = (w: Worker) => {
      if (settled) return;
      if (next >= jobs.length) {
        // nothing left for this one: it leaves the pool (its exit is expected), the others finish theirs
        running.delete(w);
        void w.terminate();
        return;
      }
      const [job, i] = jobs[next++]!;
      running.set(w, i);
      w.postMessage({ scenario: job.scenario, seed: job.seed });
    };
    for (let k = 0; k < count; k++) {
      const w = new Worker(bootstrap, { eval: true, workerData: { [WORKER_FLAG]: true } });
      running.set(w, undefined);
      w.on('message', (m: RunMetrics) => {
        const i = running.get(w);
        if (settled || i === undefined) return;
        running.set(w, undefined);
        onResult(i, m);
        if (++received === jobs.length) finish();
        else feed(w);
      });
      w.once('error', (err) => finish(err));
      w.once('exit', (code) => {
        // a worker still in the pool never exits on its own: its job (or the ones it would have taken) is lost
        if (!settled && running.has(w)) finish(new Error(`a simulation worker exited (code ${code}) before its runs were done`));
      });
      w.once('online', () => feed(w));
    }
  });
}

// In a worker started by runInWorkers: one simulation per message, its metrics posted back.
if (parentPort && isMarkedWorker(workerData)) {
  const port = parentPort;
  port.on('message', (m: { scenario: Scenario; seed: number }) => {
    port.postMessage(runSimulation(m.scenario, m.seed).metrics);
  });
}

function isMarkedWorker(data: unknown): boolean {
  return data !== null && typeof data === 'object' && (data as Record<string, unknown>)[WORKER_FLAG] === true;
}
