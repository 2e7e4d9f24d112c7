// The dashboard's static files at /, with the single-page-app fallback to index.html for paths the
// API does not own; when the dashboard is not built, / says so in a small page.
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Context } from 'hono';
import type { Api } from './context.ts';
import { ApiError } from './errors.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Paths the API owns: never answered with the dashboard. */
const API_PREFIXES = ['/v1/', '/agents/', '/mcp', '/.well-known/'];
const isApiPath = (p: string) => p === '/v1' || p === '/agents' || API_PREFIXES.some((prefix) => p.startsWith(prefix));

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Machina node</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Machina node</h1>
<p>The dashboard is not built. Build it with <code>npm run build:web</code> (Vite, in <code>web/</code>) and restart the node.</p>
<p>The API is up: <a href="/health">/health</a>, <a href="/v1/agents">/v1/agents</a>, <a href="/v1/openapi.json">/v1/openapi.json</a>,
the node's <a href="/.well-known/agent-card.json">agent card</a>.</p>
</body></html>
`;

/**
 * Serves `webRoot` at / (GET and HEAD), after every API route.
 * @example
 * registerDashboard(app, 'web/dist')
 */
export function registerDashboard(app: Api, webRoot: string | undefined): void {
  const root = webRoot && existsSync(path.join(webRoot, 'index.html')) ? path.resolve(webRoot) : undefined;

  const serve = async (c: Context, file: string, immutable: boolean) => {
    const body = await readFile(file);
    return c.body(new Uint8Array(body), 200, {
      'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  };

  app.get('*', async (c, next) => {
    const urlPath = c.req.path;
    if (isApiPath(urlPath)) return next();
    if (!root) {
      if (urlPath === '/' || urlPath === '/index.html') return c.html(NOT_BUILT, 200);
      return next();
    }
    let rel: string;
    try {
      rel = decodeURIComponent(urlPath);
    } catch {
      throw new ApiError(400, 'INVALID_PATH', 'path is not valid percent-encoding', 'path');
    }
    if (rel.includes('\0')) throw new ApiError(400, 'INVALID_PATH', 'path contains NUL', 'path');
    // Resolved against the root and checked to stay inside it: no ../ or encoded variant escapes.
    const file = path.resolve(root, `.${path.posix.normalize(`/${rel}`)}`);
    if (file !== root && !file.startsWith(root + path.sep)) throw new ApiError(404, 'NOT_FOUND', 'no such file', 'path');
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile()) return serve(c, file, urlPath.startsWith('/assets/'));
    // A missing asset is a 404, not the app: a stale bundle must fail loudly, not load HTML as script.
    if (urlPath.startsWith('/assets/') || /\.[A-Za-z0-9]{1,8}$/.test(urlPath)) return next();
    return serve(c, path.join(root, 'index.html'), false);
  });
}
