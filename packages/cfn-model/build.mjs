// Bundles the CLIs (describe: the main-job summary; deploy-path: the deploy critical path) for Node 20+.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/describe.ts', 'src/deploy-path.ts', 'src/architecture.ts', 'src/cost.ts'],
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
});
