// The code that runs inside the sandbox worker: a WebAssembly runner and the MLP trainer. Each function is
// self-contained (no imports, no outer variables) because the worker receives them as source text: the
// worker starts from a string with no TypeScript loader, like src/provenance/merkle/jobs.ts does, and this
// way the worker and the in-process reference run the very same code. Failures are thrown as Errors
// carrying `workloadCode` and `field`, turned into WorkloadError by the caller.

/**
 * Runs a WebAssembly workload (ABI in wasm.ts): instantiate with no imports, `alloc(input.length)`, copy the
 * input there, `run(ptr, len)` → output length (negative = the module's error code), read the output at
 * `output_ptr()`. `capBytes` is the memory maximum the module was patched to; a trap with memory at the cap
 * is reported as 'memory'.
 */
export function runWasmKernel(module: WebAssembly.Module, input: Uint8Array, capBytes: number): Uint8Array {
  const fail = (code: string, field: string | undefined, message: string) => Object.assign(new Error(message), { workloadCode: code, field });
  const imports = WebAssembly.Module.imports(module);
  if (imports.length > 0) {
    const first = imports[0]!;
    throw fail('invalid-bundle', 'module.imports', `the module imports ${first.module}.${first.name} (${imports.length} imports); wasm workloads get none`);
  }
  const kinds = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  for (const [name, kind] of [['memory', 'memory'], ['alloc', 'function'], ['run', 'function'], ['output_ptr', 'function']] as const) {
    if (kinds.get(name) !== kind) throw fail('invalid-bundle', `module.exports.${name}`, `the module must export ${kind} "${name}"`);
  }
  let ex: { memory: WebAssembly.Memory; alloc: (n: number) => number; run: (p: number, n: number) => number; output_ptr: () => number } | undefined;
  try {
    ex = new WebAssembly.Instance(module, {}).exports as unknown as typeof ex;
    const e = ex!;
    const ptr = e.alloc(input.length) >>> 0;
    if (ptr + input.length > e.memory.buffer.byteLength) throw fail('crashed', undefined, `alloc(${input.length}) returned ${ptr}, outside the module's memory`);
    new Uint8Array(e.memory.buffer).set(input, ptr);
    const outLen = e.run(ptr, input.length);
    if (typeof outLen !== 'number' || !Number.isInteger(outLen)) throw fail('crashed', undefined, 'run() did not return an i32');
    if (outLen < 0) throw fail('crashed', undefined, `run() returned error code ${outLen}`);
    const outPtr = e.output_ptr() >>> 0;
    const mem = e.memory.buffer;
    if (outPtr + outLen > mem.byteLength) throw fail('crashed', undefined, `the output [${outPtr}, +${outLen}) lies outside the module's memory (${mem.byteLength} bytes)`);
    return new Uint8Array(mem.slice(outPtr, outPtr + outLen));
  } catch (err) {
    if (err && typeof err === 'object' && 'workloadCode' in err) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof WebAssembly.LinkError || err instanceof WebAssembly.CompileError) throw fail('invalid-bundle', 'module', message);
    if (ex && ex.memory.buffer.byteLength >= capBytes) throw fail('memory', undefined, `the module trapped (${message}) with its memory at the ${capBytes / 1048576} MB limit`);
    if (!ex && /memory|allocat/i.test(message)) throw fail('memory', undefined, `cannot instantiate within the memory limit: ${message}`);
    throw fail('crashed', undefined, `the module trapped: ${message}`);
  }
}

/** What trainMlpKernel returns: row-major weights (w1: features×hidden, w2: hidden×classes) and the full-data loss before and after training. */
export type TrainResult = { w1: Float64Array; b1: Float64Array; w2: Float64Array; b2: Float64Array; loss: Float64Array };

/**
 * Trains a one-hidden-layer MLP (ReLU, softmax cross-entropy) by plain SGD in float64. Deterministic: weights
 * start from mulberry32(seed) (Xavier-uniform), each step takes the whole set when batchSize >= n, else
 * batchSize examples drawn with replacement by the same generator; every sum runs in index order.
 * Math.exp/Math.log are V8's own fdlibm ports, the same on every platform for a given Node.
 */
export function trainMlpKernel(
  spec: { hidden: number; classes: number; steps: number; batchSize: number; learningRate: number; seed: number },
  x: Float64Array,
  n: number,
  f: number,
  y: Int32Array,
): TrainResult {
  const h = spec.hidden;
  const c = spec.classes;
  let state = spec.seed >>> 0;
  const rand = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const w1 = new Float64Array(f * h);
  const b1 = new Float64Array(h);
  const w2 = new Float64Array(h * c);
  const b2 = new Float64Array(c);
  const a1Bound = Math.sqrt(6 / (f + h));
  const a2Bound = Math.sqrt(6 / (h + c));
  for (let i = 0; i < w1.length; i++) w1[i] = (2 * rand() - 1) * a1Bound;
  for (let i = 0; i < w2.length; i++) w2[i] = (2 * rand() - 1) * a2Bound;

  const full = spec.batchSize >= n;
  const bs = full ? n : spec.batchSize;
  const idx = new Int32Array(bs);
  const z1 = new Float64Array(bs * h); // pre-activations, then ReLU'd in a1
  const a1 = new Float64Array(bs * h);
  const p = new Float64Array(bs * c); // probabilities, then dLoss/dz2
  const d1 = new Float64Array(bs * h);
  const gw1 = new Float64Array(f * h);
  const gb1 = new Float64Array(h);
  const gw2 = new Float64Array(h * c);
  const gb2 = new Float64Array(c);

  // Forward over rows idx[0..m) into z1/a1/p; returns the summed cross-entropy.
  const forward = (m: number): number => {
    let loss = 0;
    for (let r = 0; r < m; r++) {
      const xr = idx[r]! * f;
      for (let j = 0; j < h; j++) {
        let s = b1[j]!;
        for (let k = 0; k < f; k++) s += x[xr + k]! * w1[k * h + j]!;
        z1[r * h + j] = s;
        a1[r * h + j] = s > 0 ? s : 0;
      }
      let max = -Infinity;
      for (let o = 0; o < c; o++) {
        let s = b2[o]!;
        for (let j = 0; j < h; j++) s += a1[r * h + j]! * w2[j * c + o]!;
        p[r * c + o] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let o = 0; o < c; o++) {
        const e = Math.exp(p[r * c + o]! - max);
        p[r * c + o] = e;
        sum += e;
      }
      for (let o = 0; o < c; o++) p[r * c + o] = p[r * c + o]! / sum;
      loss -= Math.log(Math.max(p[r * c + y[idx[r]!]!]!, 1e-300));
    }
    return loss;
  };
  // Mean loss over the whole set, in chunks of the batch buffers.
  const fullLoss = (): number => {
    let total = 0;
    for (let start = 0; start < n; start += bs) {
      const m = Math.min(bs, n - start);
      for (let r = 0; r < m; r++) idx[r] = start + r;
      total += forward(m);
    }
    return total / n;
  };

  const lossBefore = fullLoss();
  for (let step = 0; step < spec.steps; step++) {
    if (full) for (let r = 0; r < bs; r++) idx[r] = r;
    else for (let r = 0; r < bs; r++) idx[r] = Math.floor(rand() * n);
    forward(bs);
    const scale = 1 / bs;
    for (let r = 0; r < bs; r++) {
      p[r * c + y[idx[r]!]!] = p[r * c + y[idx[r]!]!]! - 1;
      for (let o = 0; o < c; o++) p[r * c + o] = p[r * c + o]! * scale;
    }
    gw2.fill(0);
    gb2.fill(0);
    gw1.fill(0);
    gb1.fill(0);
    for (let r = 0; r < bs; r++) {
      for (let o = 0; o < c; o++) gb2[o] = gb2[o]! + p[r * c + o]!;
      for (let j = 0; j < h; j++) {
        const a = a1[r * h + j]!;
        let back = 0;
        for (let o = 0; o < c; o++) {
          gw2[j * c + o] = gw2[j * c + o]! + a * p[r * c + o]!;
          back += p[r * c + o]! * w2[j * c + o]!;
        }
        d1[r * h + j] = z1[r * h + j]! > 0 ? back : 0;
      }
      const xr = idx[r]! * f;
      for (let j = 0; j < h; j++) {
        const d = d1[r * h + j]!;
        gb1[j] = gb1[j]! + d;
        for (let k = 0; k < f; k++) gw1[k * h + j] = gw1[k * h + j]! + x[xr + k]! * d;
      }
    }
    const lr = spec.learningRate;
    for (let i = 0; i < w1.length; i++) w1[i] = w1[i]! - lr * gw1[i]!;
    for (let i = 0; i < b1.length; i++) b1[i] = b1[i]! - lr * gb1[i]!;
    for (let i = 0; i < w2.length; i++) w2[i] = w2[i]! - lr * gw2[i]!;
    for (let i = 0; i < b2.length; i++) b2[i] = b2[i]! - lr * gb2[i]!;
  }
  const lossAfter = fullLoss();
  return { w1, b1, w2, b2, loss: new Float64Array([lossBefore, lossAfter]) };
}

/** Bytes the trainer allocates for these sizes (float64 buffers), checked against the memory limit before it starts. */
export function trainMemoryBytes(spec: { hidden: number; classes: number; batchSize: number }, n: number, f: number): number {
  const bs = Math.min(spec.batchSize, n);
  const params = f * spec.hidden + spec.hidden + spec.hidden * spec.classes + spec.classes;
  return 8 * (n * f + 2 * params + bs * (3 * spec.hidden + spec.classes)) + 4 * (n + bs);
}
