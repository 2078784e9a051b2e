// Bundles one Lambda function for the nodejs22.x runtime on arm64: one minified CommonJS file with a
// linked source map, only the modules (and AWS SDK clients) the entry point imports. The metafile
// feeds the bundle-size benchmark. Usage (from a package): node ../../tools/build-lambda.mjs src/index.ts
//
// A package may also have src/lazy.ts: modules the handler needs only on some paths. It is bundled on its
// own into dist/lazy.js and stays out of dist/index.js, so the cold start neither parses nor runs it;
// `await import('./lazy.js')` in the source becomes a require of dist/lazy.js on first use.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const entry = process.argv[2] ?? 'src/index.ts';
const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  // linked: the bundle ends with `//# sourceMappingURL=index.js.map`, by which Node finds the map when the function
  // runs with --enable-source-maps (NODE_OPTIONS in the templates), so a stack trace in its log names src/*.ts lines.
  // ('external' wrote the same map without that line, and Node never read it.)
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  // Prefer the SDK's ES module builds: they tree-shake to what the function uses.
  mainFields: ['module', 'main'],
  metafile: true,
  logLevel: 'warning',
};
const lazyExternal = {
  name: 'lazy-external',
  setup(b) {
    b.onResolve({ filter: /^\.\/lazy(\.js)?$/ }, () => ({ path: './lazy.js', external: true }));
  },
};

mkdirSync('dist', { recursive: true });
const main = await build({ ...common, entryPoints: [entry], outfile: 'dist/index.js', plugins: [lazyExternal] });
const meta = { main: main.metafile };
if (existsSync('src/lazy.ts')) {
  const lazy = await build({ ...common, entryPoints: ['src/lazy.ts'], outfile: 'dist/lazy.js' });
  meta.lazy = lazy.metafile;
}
writeFileSync('dist/meta.json', JSON.stringify(meta));
