// A long-lived `machina` process for the tests: it loads the CLI once, exactly as bin/machina.js does
// (tsx, then src/cli/main.ts), and then runs one `main(argv)` per request from its parent, with the
// request's environment and working directory, capturing what the command writes to stdout and
// stderr. Starting node + tsx + the CLI's modules costs 1.5-3 s per process; a request here costs
// only the command's own work. Started and driven by runCliInHost() in ./cli.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../../src/cli/main.ts');

const realStdoutWrite = process.stdout.write;
const realStderrWrite = process.stderr.write;

/** Replaces process.env's contents with `env` (the object stays the same, as child processes see it). */
function setEnv(env) {
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
}

function capture(stream, sink) {
  stream.write = (chunk, encoding, cb) => {
    sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8'));
    const done = typeof encoding === 'function' ? encoding : cb;
    if (typeof done === 'function') queueMicrotask(() => done());
    return true;
  };
}

process.on('message', async ({ id, args, env, cwd }) => {
  const out = [];
  const err = [];
  let code;
  setEnv(env);
  process.chdir(cwd);
  process.exitCode = undefined;
  capture(process.stdout, out);
  capture(process.stderr, err);
  try {
    // What bin/machina.js does with the result.
    code = await main(args);
  } catch (e) {
    // bin/machina.js would die with the stack trace on stderr and exit code 1.
    err.push(`${e?.stack ?? e}\n`);
    code = 1;
  } finally {
    process.stdout.write = realStdoutWrite;
    process.stderr.write = realStderrWrite;
    process.exitCode = undefined;
  }
  process.send({ id, code, stdout: out.join(''), stderr: err.join('') });
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
