// Bundles the CLIs (describe: what a deploy would create; deploy-path: the deploy critical path; docs: every generated
// block of the Markdown; cost: the monthly cost) for Node 20+.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });

await build({
  // One entry per command line (src/cli/), so that bundling a library module never runs another command.
  entryPoints: ['src/cli/describe.ts', 'src/cli/deploy-path.ts', 'src/cli/docs.ts', 'src/cli/cost.ts'],
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
});
