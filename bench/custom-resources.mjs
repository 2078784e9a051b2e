#!/usr/bin/env node
// Custom-resource bundles: size (raw, gzip) and cold module-init time, each next to a "bare floor": a
// bundle of only the same AWS SDK clients, built with the same options and measured in the same run.
// Init = wall time of require() in a fresh Node process, median of RUNS processes, alternating function
// and floor so machine noise hits both alike. Budget: init within 1.2x of the floor.
//
//   npm run bench:custom-resources [-- --runs N]      (builds first; 41 runs by default)
//
// Writes bench/results/custom-resources.json; `npm run docs` (which the npm script runs next) renders it into
// bench/README.md, and a test fails when the table there differs from the results.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describeMachine, machine, median, renderDocs, writeResults } from './lib.mjs';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 41;
const BUDGET = 1.2;
const FUNCTIONS = {
  'az-discovery': ['EC2Client:@aws-sdk/client-ec2', 'RDSClient:@aws-sdk/client-rds'],
  'rds-engine-version': ['RDSClient:@aws-sdk/client-rds'],
  'default-sg-lockdown': ['EC2Client:@aws-sdk/client-ec2'],
  'deletion-protection': [
    'ElasticLoadBalancingV2Client:@aws-sdk/client-elastic-load-balancing-v2',
    'RDSClient:@aws-sdk/client-rds',
  ],
  'empty-bucket-on-delete': ['S3Client:@aws-sdk/client-s3', 'CloudFormationClient:@aws-sdk/client-cloudformation'],
  'tls-verification': ['RDSClient:@aws-sdk/client-rds', 'SecretsManagerClient:@aws-sdk/client-secrets-manager'],
  // The account layer's (account/template.yaml).
  'iam-password-policy': ['IAMClient:@aws-sdk/client-iam', 'CloudFormationClient:@aws-sdk/client-cloudformation'],
  'ebs-default-encryption': ['EC2Client:@aws-sdk/client-ec2', 'CloudFormationClient:@aws-sdk/client-cloudformation'],
  's3-account-public-access-block': [
    'S3ControlClient:@aws-sdk/client-s3-control',
    'CloudFormationClient:@aws-sdk/client-cloudformation',
  ],
};

execFileSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: ROOT, stdio: 'inherit' });

const tmp = join(ROOT, 'bench', '.tmp');
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });

/** The floor: the same clients, constructed, bundled exactly as tools/build-lambda.mjs bundles a function. */
async function floorBundle(name, clients) {
  const entry = join(tmp, `${name}-floor.mjs`);
  const lines = clients.map((c, i) => {
    const [cls, pkg] = c.split(':');
    return `import { ${cls} as C${i} } from '${pkg}';\nexport const c${i} = new C${i}({ maxAttempts: 8 });`;
  });
  writeFileSync(entry, lines.join('\n'));
  const outfile = join(tmp, `${name}-floor.js`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    mainFields: ['module', 'main'],
    logLevel: 'warning',
    nodePaths: [join(ROOT, 'node_modules')],
  });
  return outfile;
}

/** Time to require the first-use chunk (dist/lazy.js) after the handler module, in a fresh process. */
function firstUseMs(bundle, lazy) {
  const script = `require(${JSON.stringify(bundle)});const t=process.hrtime.bigint();require(${JSON.stringify(lazy)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const out = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, AWS_REGION: 'us-east-1' },
  });
  if (out.status !== 0) throw new Error(`require(${lazy}) failed: ${out.stderr}`);
  return Number(out.stdout);
}

function initMs(file) {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const out = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, AWS_REGION: 'us-east-1' },
  });
  if (out.status !== 0) throw new Error(`require(${file}) failed: ${out.stderr}`);
  return Number(out.stdout);
}

const rows = [];
for (const [name, clients] of Object.entries(FUNCTIONS)) {
  const bundle = join(ROOT, 'packages', name, 'dist', 'index.js');
  const floor = await floorBundle(name, clients);
  const fnTimes = [];
  const floorTimes = [];
  initMs(bundle); // warm the file cache once, as a Lambda cold start reads from a warm disk cache too
  initMs(floor);
  for (let i = 0; i < RUNS; i += 1) {
    fnTimes.push(initMs(bundle));
    floorTimes.push(initMs(floor));
  }
  const raw = readFileSync(bundle);
  const floorRaw = readFileSync(floor);
  const row = {
    function: name,
    clients: clients.map((c) => c.split(':')[0]),
    bytes: raw.length,
    gzipBytes: gzipSync(raw, { level: 9 }).length,
    floorBytes: floorRaw.length,
    floorGzipBytes: gzipSync(floorRaw, { level: 9 }).length,
    initMedianMs: Number(median(fnTimes).toFixed(1)),
    floorInitMedianMs: Number(median(floorTimes).toFixed(1)),
  };
  row.ratio = Number((row.initMedianMs / row.floorInitMedianMs).toFixed(2));
  const lazy = join(ROOT, 'packages', name, 'dist', 'lazy.js');
  if (existsSync(lazy)) {
    const lazyRaw = readFileSync(lazy);
    row.firstUseBytes = lazyRaw.length;
    row.firstUseGzipBytes = gzipSync(lazyRaw, { level: 9 }).length;
    row.firstUseMedianMs = Number(median(Array.from({ length: RUNS }, () => firstUseMs(bundle, lazy))).toFixed(1));
  }
  row.withinBudget = row.ratio <= BUDGET;
  rows.push(row);
}
rmSync(tmp, { recursive: true, force: true });

const machineInfo = machine(RUNS);
writeResults(join(ROOT, 'bench', 'results', 'custom-resources.json'), { machine: machineInfo, budget: BUDGET, rows });
renderDocs(ROOT, 'custom-resources');

console.log(describeMachine(machineInfo, `median of ${RUNS} fresh processes each`));
for (const r of rows)
  console.log(
    `${r.function}: init ${r.initMedianMs} ms, floor ${r.floorInitMedianMs} ms, ratio ${r.ratio}${r.withinBudget ? '' : ' (over)'}`,
  );
process.exitCode = rows.every((r) => r.withinBudget) ? 0 : 1;
