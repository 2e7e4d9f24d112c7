// Vite config for the dashboard. scripts/build-web.js builds it into web/dist; `npx vite web` serves
// it in development, proxying the API to a running node (MACHINA_NODE_URL, default `npm start`'s).
// Plain JS so the build can load it with Node's own import, without bundling the config first.
import { defineConfig } from 'vite';

const node = process.env.MACHINA_NODE_URL ?? 'http://127.0.0.1:8787';

export default defineConfig({
  base: '/',
  // Vite 8 transforms TSX with oxc; React's automatic runtime means no `import React` in every file.
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
  server: { proxy: { '/v1': node, '/health': node, '/agents': node, '/.well-known': node } },
});
