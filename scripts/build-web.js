#!/usr/bin/env node
// Builds the dashboard (web/, Vite + React) into web/dist, which the node serves at /. Skips the
// build when web/dist is newer than every source file, so `machina up` and the tests can call it
// every time and pay only when something changed. `node scripts/build-web.js [--force] [--quiet]`.
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const webDir = path.join(root, 'web');
export const webDistDir = path.join(webDir, 'dist');
/** Written last by a successful build; its mtime is when web/dist was built. */
const stampFile = path.join(webDistDir, '.built');
const lockFile = path.join(webDir, '.build.lock');

/** Newest mtime of the dashboard's inputs: web/ (minus its outputs) and what pins the toolchain. */
export function newestWebSourceTime(dir = webDir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // dist is the output; dot-entries are our lock and temporary build folders.
    if (entry.name.startsWith('.') || (dir === webDir && (entry.name === 'dist' || entry.name === 'node_modules'))) continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestWebSourceTime(p) : statSync(p).mtimeMs);
  }
  if (dir === webDir) {
    // A new React or Vite (package-lock.json) or a changed build script also means a new bundle.
    for (const f of [path.join(root, 'package-lock.json'), fileURLToPath(import.meta.url)]) if (existsSync(f)) newest = Math.max(newest, statSync(f).mtimeMs);
  }
  return newest;
}

/** True when web/dist holds a complete build newer than every source. */
export function isWebBuildFresh() {
  if (!existsSync(stampFile) || !existsSync(path.join(webDistDir, 'index.html'))) return false;
  return statSync(stampFile).mtimeMs >= newestWebSourceTime();
}

/**
 * Builds web/ into web/dist unless it is already up to date. Safe to call from several processes at
 * once (tests run in parallel): one builds, the others wait for it and then find the build fresh.
 * @example
 * const { built, outDir } = await buildWeb({ quiet: true })
 */
export async function buildWeb({ quiet = false, force = false } = {}) {
  const say = (line) => quiet || process.stdout.write(`${line}\n`);
  if (!force && isWebBuildFresh()) return { built: false, outDir: webDistDir, ms: 0 };
  const release = await acquireLock();
  try {
    if (!force && isWebBuildFresh()) return { built: false, outDir: webDistDir, ms: 0 };
    const started = Date.now();
    say('web: building the dashboard (vite) ...');
    const { build } = await import('vite');
    // Build beside dist and swap it in, so a node serving web/dist never sees half a build.
    const tmp = path.join(webDir, `.dist-${process.pid}`);
    try {
      await build({
        root: webDir,
        configFile: path.join(webDir, 'vite.config.js'),
        configLoader: 'native',
        logLevel: quiet ? 'silent' : 'warn',
        build: { outDir: tmp, emptyOutDir: true },
      });
      writeFileSync(path.join(tmp, '.built'), `${new Date().toISOString()}\n`);
      const old = path.join(webDir, `.dist-old-${process.pid}`);
      if (existsSync(webDistDir)) renameSync(webDistDir, old);
      renameSync(tmp, webDistDir);
      rmSync(old, { recursive: true, force: true });
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(`web: dashboard build failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    const ms = Date.now() - started;
    say(`web: built web/dist in ${(ms / 1000).toFixed(1)} s (${bundleSummary()})`);
    return { built: true, outDir: webDistDir, ms };
  } finally {
    release();
  }
}

/** "assets 210 kB" — the size of what a browser downloads, so growth gets noticed. */
function bundleSummary() {
  const assets = path.join(webDistDir, 'assets');
  if (!existsSync(assets)) return 'no assets';
  const bytes = readdirSync(assets).reduce((n, f) => n + statSync(path.join(assets, f)).size, 0);
  return `assets ${Math.round(bytes / 1024)} KiB`;
}

/** An exclusive lock file holding our pid; a lock left by a dead process is taken over. */
async function acquireLock(timeoutMs = 180_000) {
  mkdirSync(webDir, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      closeSync(openSync(lockFile, 'wx'));
      writeFileSync(lockFile, String(process.pid));
      return () => {
        try {
          if (readFileSync(lockFile, 'utf8') === String(process.pid)) unlinkSync(lockFile);
        } catch {}
      };
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(lockFile, 'utf8'));
    } catch {}
    if (Number.isInteger(holder) && holder > 0 && !isAlive(holder)) rmSync(lockFile, { force: true });
    if (Date.now() > deadline) throw new Error(`web: timed out waiting for another dashboard build (${lockFile})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  buildWeb({ force: args.includes('--force'), quiet: args.includes('--quiet') }).then(
    (r) => r.built || args.includes('--quiet') || process.stdout.write('web: web/dist is up to date\n'),
    (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
