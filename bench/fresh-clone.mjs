#!/usr/bin/env node
// The main job from a fresh clone: `git clone` of HEAD into a temporary directory, then `npm start` there,
// timed end to end and split into set-up (npm ci, the two virtualenvs) and the rest (build, lint, local
// deploy, verify, summary). Package caches (npm's, pip's) stay warm, as on a developer machine or a CI
// runner with a cache; apt packages already installed are skipped by tools/setup.sh.
//
//   npm run bench:fresh-clone [-- --runs N]      (default 5: each run downloads nothing new but builds everything)
//
// Writes bench/results/fresh-clone.json and prints its table; `npm run docs` renders the results into bench/README.md. Budget: 75 s (the operator-experience issue).
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { describeMachine, inFreshClone, machine, median, renderDocs, writeResults } from './lib.mjs';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const BUDGET = 75;
const env = { ...process.env, SAM_CLI_TELEMETRY: '0', TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };

const runs = [];
for (let i = 0; i < RUNS; i += 1) {
  inFreshClone(ROOT, env, 'strata-fresh-', (dir) => {
    const start = process.hrtime.bigint();
    const setup = spawnSync('bash', ['tools/setup.sh'], { cwd: dir, env, stdio: 'ignore' });
    const setupSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    const main = spawnSync('npm', ['start'], { cwd: dir, env, stdio: 'ignore' });
    const totalSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (setup.status !== 0 || main.status !== 0)
      throw new Error(`run ${i + 1} failed (set-up ${setup.status}, npm start ${main.status})`);
    runs.push({ setupSeconds, totalSeconds });
  });
}

const totals = runs.map((r) => r.totalSeconds);
const setups = runs.map((r) => r.setupSeconds);
const result = {
  machine: machine(RUNS),
  runs,
  medianTotalSeconds: Number(median(totals).toFixed(1)),
  medianSetupSeconds: Number(median(setups).toFixed(1)),
  budgetSeconds: BUDGET,
  withinBudget: median(totals) <= BUDGET,
};
writeResults(join(ROOT, 'bench', 'results', 'fresh-clone.json'), result);
renderDocs(ROOT, 'fresh-clone');
console.log(describeMachine(result.machine, `median of ${RUNS} fresh clones`));
console.log('| main job from a fresh clone | median | min - max | of which set-up | budget |');
console.log('| --- | --- | --- | --- | --- |');
console.log(
  `| git clone + npm start | ${result.medianTotalSeconds} s | ${Math.min(...totals).toFixed(1)} - ${Math.max(...totals).toFixed(1)} s | ${result.medianSetupSeconds} s | ${BUDGET} s${result.withinBudget ? '' : ' **over**'} |`,
);
