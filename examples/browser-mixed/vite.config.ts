import {defaultClientConditions, defineConfig} from 'vite';

// No cross-origin isolation headers (COOP/COEP) on purpose: with them tfjs picks its
// multi-threaded wasm build, whose inlined worker script breaks once bundled and minified
// (ReferenceError in the worker). The page runs the single-threaded SIMD build.
export default defineConfig({
  // In-repo @tfjs-amp packages resolve to their TypeScript sources (no build needed first).
  resolve: {conditions: ['@tfjs-amp/source', ...defaultClientConditions]},
  // public/mnist/ is written by scripts/write-mnist.ts; the .wasm files are imported with ?url.
  publicDir: 'public',
  server: {host: '127.0.0.1', port: 5178},
  preview: {host: '127.0.0.1', port: 5179},
  build: {target: 'es2022', chunkSizeWarningLimit: 4096},
});
