// Bundles one Lambda function for the nodejs22.x runtime on arm64: one minified CommonJS file with an
// external source map, only the modules (and AWS SDK clients) the entry point imports. The metafile
// feeds the bundle-size benchmark. Usage (from a package): node ../../tools/build-lambda.mjs src/index.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const entry = process.argv[2] ?? 'src/index.ts';
mkdirSync('dist', { recursive: true });
const result = await build({
  entryPoints: [entry],
  outfile: 'dist/index.js',
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: 'external',
  sourcesContent: false,
  legalComments: 'none',
  // Prefer the SDK's ES module builds: they tree-shake to what the function uses.
  mainFields: ['module', 'main'],
  metafile: true,
  logLevel: 'warning',
});
writeFileSync('dist/meta.json', JSON.stringify(result.metafile));
