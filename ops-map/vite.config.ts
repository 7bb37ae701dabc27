/**
 * Builds the ops page into ops-map/dist; the realtime service serves that folder at /ops.
 * Only type imports come from @drivrr/shared, so no server code (nor zod) lands in the bundle.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ops/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    assetsInlineLimit: 0,
    // Two pages on one rendering: the ops map (index.html, /ops) and the shared trip (track.html, /track/:token).
    rollupOptions: {
      input: {
        ops: fileURLToPath(new URL('./index.html', import.meta.url)),
        track: fileURLToPath(new URL('./track.html', import.meta.url)),
      },
    },
  },
});
