// Shared by the benchmarks: the statistic they report and the machine they report it on.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function machine(runs) {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    runs,
  };
}

export function describeMachine(m, what) {
  return `Measured ${m.date.slice(0, 10)} on ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}; ${what}.\n`;
}

/**
 * Writes a results file as JSON in the layout `biome format` gives it, so the lint step of `npm test`
 * accepts what a benchmark wrote (Biome formats every JSON file of the repository).
 */
export function writeResults(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
  execFileSync('npx', ['biome', 'format', '--write', path], { stdio: 'ignore' });
}

/**
 * Renders a benchmark's tables from the results it just wrote, wherever the docs show them (`npm run docs`'s engine,
 * packages/cfn-model/src/docs.ts, for these blocks only). Called by the benchmark itself, so that the arguments of
 * `npm run bench:x -- --runs N` reach the benchmark, not the docs step.
 */
export function renderDocs(root, ...blocks) {
  execFileSync('npx', ['turbo', 'run', 'build', '--filter=@strata/cfn-model', '--output-logs=errors-only'], {
    cwd: root,
    stdio: 'inherit',
  });
  execFileSync('node', [join(root, 'packages', 'cfn-model', 'dist', 'docs.js'), root, '--only', blocks.join(',')], {
    cwd: root,
    stdio: 'inherit',
  });
}

/** Runs `fn(dir)` in a fresh `git clone` of `root`'s HEAD in a temporary directory, removed afterwards however fn ends. */
export function inFreshClone(root, env, prefix, fn) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    execFileSync('git', ['clone', '-q', root, dir], { env });
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
