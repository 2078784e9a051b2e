// Bundles the describe CLI (used by the main-job command) into one file for Node 20+.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/describe.ts'],
  outfile: 'dist/describe.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
});
