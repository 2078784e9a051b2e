#!/usr/bin/env node
// Dev-loop benchmarks: how long the edit-build-test loop takes, median of N runs (default 5).
//
//   npm run bench:dev-loop [-- --runs N]
//
//   turbo cold   `turbo run build test --force`: every build and jest suite runs, nothing from the cache
//   turbo warm   `turbo run build test` with no change: a full cache hit (budget 2 s)
//   sam cold     `sam build` with .aws-sam removed
//   sam cached   `sam build` again with nothing changed (cached = true in samconfig.toml)
//   local deploy bench/local-deploy.sh: the local cloud's start, the account layer (`sam deploy --config-env
//                account-local`) and `sam deploy --config-env local` of every layer (nested stacks created in
//                parallel, as CloudFormation creates them), nothing else
//   main job     `npm start` with nothing changed: set-up check, lint (not repeated on unchanged inputs), both builds
//                while the local cloud starts, both deploys (custom resources and TLS checks included), summary
//                (budget 25 s, the operator-experience issue's warm target); also the longest stretch of its output
//                without a line, from the time each line arrived (target 5 s)
// Writes bench/results/dev-loop.json and prints its table; `npm run docs` renders the results into bench/README.md.
import { execSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describeMachine, machine, median, renderDocs, writeResults } from './lib.mjs';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const env = { ...process.env, SAM_CLI_TELEMETRY: '0', TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };

// The main job's output read as it comes: the longest stretch without a line (target: 5 s), and the line after it.
function timeWithGaps(command) {
  return new Promise((resolvePromise, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('bash', ['-c', command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let last = start;
    let gap = { seconds: 0, before: '' };
    const seen = (line) => {
      const now = process.hrtime.bigint();
      const seconds = Number(now - last) / 1e9;
      if (seconds > gap.seconds) gap = { seconds, before: line.trim() };
      last = now;
    };
    createInterface({ input: child.stdout }).on('line', seen);
    createInterface({ input: child.stderr }).on('line', seen);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${command} exited ${code}`));
      else resolvePromise({ seconds: Number(process.hrtime.bigint() - start) / 1e9, gap });
    });
  });
}

function time(command, before) {
  before?.();
  const start = process.hrtime.bigint();
  try {
    execSync(command, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  } catch (error) {
    // A failed run is not a measurement: say which command failed and how, then stop.
    const tail = `${error.stdout ?? ''}${error.stderr ?? ''}`.split('\n').slice(-40).join('\n');
    throw new Error(`${command} failed (exit ${error.status}):\n${tail}`);
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

execSync('bash tools/setup.sh', { cwd: ROOT, env, stdio: 'inherit' });
const cases = [
  { name: 'turbo build+test, cold (--force)', command: 'npx turbo run build test --force --output-logs=errors-only' },
  {
    name: 'turbo build+test, warm (no change)',
    command: 'npx turbo run build test --output-logs=errors-only',
    budget: 2,
  },
  {
    name: 'sam build, cold',
    command: '.venv/bin/sam build',
    before: () => rmSync(join(ROOT, '.aws-sam'), { recursive: true, force: true }),
  },
  { name: 'sam build, cached (no change)', command: '.venv/bin/sam build' },
  {
    name: 'local deploy: start the local cloud + the account layer + sam deploy --config-env local',
    command: 'bash bench/local-deploy.sh',
  },
  { name: 'main job: npm start (deploy to the local cloud)', command: 'npm start', budget: 25, gaps: true },
];

const rows = [];
for (const c of cases) {
  execSync(c.command, { cwd: ROOT, env, stdio: 'ignore' }); // prime: the warm cases start warm
  const times = [];
  const gaps = [];
  for (let i = 0; i < RUNS; i += 1) {
    if (c.gaps) {
      const run = await timeWithGaps(c.command);
      times.push(run.seconds);
      gaps.push(run.gap);
    } else {
      times.push(time(c.command, c.before));
    }
  }
  const widest = gaps.reduce((a, b) => (b.seconds > a.seconds ? b : a), { seconds: 0, before: '' });
  rows.push({
    ...(c.gaps
      ? {
          longestSilenceSeconds: Number(widest.seconds.toFixed(2)),
          longestSilenceBefore: widest.before,
          silenceTargetSeconds: 5,
        }
      : {}),
    case: c.name,
    medianSeconds: Number(median(times).toFixed(2)),
    minSeconds: Number(Math.min(...times).toFixed(2)),
    maxSeconds: Number(Math.max(...times).toFixed(2)),
    budgetSeconds: c.budget ?? null,
    withinBudget: c.budget === undefined ? null : median(times) <= c.budget,
  });
}

const machineInfo = machine(RUNS);
writeResults(join(ROOT, 'bench', 'results', 'dev-loop.json'), { machine: machineInfo, rows });
renderDocs(ROOT, 'dev-loop');
console.log(describeMachine(machineInfo, `median of ${RUNS} runs`));
console.log('| loop | median | min - max | budget |');
console.log('|---|---|---|---|');
for (const r of rows) {
  const budget = r.budgetSeconds === null ? '' : `${r.budgetSeconds} s${r.withinBudget ? '' : ' **over**'}`;
  console.log(`| ${r.case} | ${r.medianSeconds} s | ${r.minSeconds} - ${r.maxSeconds} s | ${budget} |`);
}
for (const r of rows.filter((row) => row.longestSilenceSeconds !== undefined)) {
  const over = r.longestSilenceSeconds > r.silenceTargetSeconds ? ' **over**' : '';
  console.log(
    `\n${r.case}: the longest stretch without a line of output was ${r.longestSilenceSeconds} s (target ${r.silenceTargetSeconds} s${over}), before "${r.longestSilenceBefore}"`,
  );
}
process.exitCode = rows.every((r) => r.withinBudget !== false) ? 0 : 1;
