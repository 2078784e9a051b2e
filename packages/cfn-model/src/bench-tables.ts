import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DocsError } from './errors';

/**
 * The Markdown blocks of measured figures, rendered from what the benchmarks under bench/ wrote to
 * bench/results/*.json. Nothing here measures: a benchmark writes its results, and `npm run docs` renders them
 * into every Markdown file that shows them (see docs.ts). Each block says when, where and how often it was
 * measured, so a figure never appears without its machine.
 */

interface Machine {
  date: string;
  node: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  runs: number;
}

function results<T>(root: string, name: string): T {
  const file = resolve(root, 'bench', 'results', `${name}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new DocsError(`bench/results/${name}.json cannot be read (${(error as Error).message}); run its benchmark`);
  }
}

const measured = (m: Machine, what: string) =>
  `Measured ${m.date.slice(0, 10)} on ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}; ${what}.`;

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

interface BundleRow {
  function: string;
  clients: string[];
  bytes: number;
  gzipBytes: number;
  floorBytes: number;
  floorGzipBytes: number;
  initMedianMs: number;
  floorInitMedianMs: number;
  ratio: number;
  withinBudget: boolean;
  firstUseBytes?: number;
  firstUseGzipBytes?: number;
  firstUseMedianMs?: number;
}

/** bench/results/custom-resources.json (npm run bench:custom-resources). */
export function customResourcesBlock(root: string): string {
  const r = results<{ machine: Machine; budget: number; rows: BundleRow[] }>(root, 'custom-resources');
  const lines = [
    measured(r.machine, `median of ${r.machine.runs} fresh processes each`),
    '',
    `| function (SDK clients) | cold-start bundle (raw / gzip) | floor bundle (raw / gzip) | init median | floor init median | ratio (budget ${r.budget}) | loaded on first use |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of r.rows) {
    const firstUse =
      row.firstUseBytes && row.firstUseGzipBytes
        ? `${kib(row.firstUseBytes)} / ${kib(row.firstUseGzipBytes)}, ${row.firstUseMedianMs} ms`
        : 'nothing';
    lines.push(
      `| ${row.function} (${row.clients.join(', ')}) | ${kib(row.bytes)} / ${kib(row.gzipBytes)} | ${kib(row.floorBytes)} / ${kib(row.floorGzipBytes)} | ${row.initMedianMs} ms | ${row.floorInitMedianMs} ms | ${row.ratio}${row.withinBudget ? '' : ' **over**'} | ${firstUse} |`,
    );
  }
  const over = r.rows.filter((row) => !row.withinBudget).map((row) => row.function);
  lines.push(
    '',
    over.length
      ? `Over the budget in this run: ${over.join(', ')}.`
      : `Every function is within ${r.budget}x of its floor in this run.`,
  );
  return lines.join('\n');
}

interface LoopRow {
  case: string;
  medianSeconds: number;
  minSeconds: number;
  maxSeconds: number;
  budgetSeconds: number | null;
  withinBudget: boolean | null;
  longestSilenceSeconds?: number;
  longestSilenceBefore?: string;
  silenceTargetSeconds?: number;
}

const budgetCell = (budget: number | null, within: boolean | null) =>
  budget === null ? '' : `${budget} s${within ? '' : ' **over**'}`;

/** bench/results/dev-loop.json (npm run bench:dev-loop). */
export function devLoopBlock(root: string): string {
  const r = results<{ machine: Machine; rows: LoopRow[] }>(root, 'dev-loop');
  const lines = [
    measured(r.machine, `median of ${r.machine.runs} runs`),
    '',
    '| loop | median | min - max | budget |',
    '| --- | --- | --- | --- |',
    ...r.rows.map(
      (row) =>
        `| ${row.case} | ${row.medianSeconds} s | ${row.minSeconds} - ${row.maxSeconds} s | ${budgetCell(row.budgetSeconds, row.withinBudget)} |`,
    ),
  ];
  for (const row of r.rows.filter((x) => x.longestSilenceSeconds !== undefined)) {
    const met = (row.longestSilenceSeconds ?? 0) <= (row.silenceTargetSeconds ?? 0) ? 'met' : '**missed**';
    lines.push(
      '',
      `${row.case}: the longest stretch of output without a line was ${row.longestSilenceSeconds} s (target ${row.silenceTargetSeconds} s, ${met}), read from the time each line arrived.`,
    );
  }
  return lines.join('\n');
}

/** bench/results/fresh-clone.json (npm run bench:fresh-clone). */
export function freshCloneBlock(root: string): string {
  const r = results<{
    machine: Machine;
    runs: { setupSeconds: number; totalSeconds: number }[];
    medianTotalSeconds: number;
    medianSetupSeconds: number;
    budgetSeconds: number;
    withinBudget: boolean;
  }>(root, 'fresh-clone');
  const totals = r.runs.map((x) => x.totalSeconds);
  return [
    measured(r.machine, `median of ${r.machine.runs} fresh clones`),
    '',
    '| main job from a fresh clone | median | min - max | of which set-up | budget |',
    '| --- | --- | --- | --- | --- |',
    `| git clone + npm start | ${r.medianTotalSeconds} s | ${Math.min(...totals).toFixed(1)} - ${Math.max(...totals).toFixed(1)} s | ${r.medianSetupSeconds} s | ${budgetCell(r.budgetSeconds, r.withinBudget)} |`,
  ].join('\n');
}

/** bench/results/npm-test.json (npm run bench:npm-test). */
export function npmTestBlock(root: string): string {
  const r = results<{
    machine: Machine;
    runs: { totalSeconds: number; tests: number; phases: Record<string, number> }[];
    medianTotalSeconds: number;
    medianPhaseSeconds: Record<string, number>;
    budgetSeconds: number;
    withinBudget: boolean;
  }>(root, 'npm-test');
  const totals = r.runs.map((x) => x.totalSeconds);
  const phases = Object.entries(r.medianPhaseSeconds);
  return [
    measured(r.machine, `median of ${r.machine.runs} runs, each on a fresh clone after its set-up`),
    '',
    `| npm test after set-up | median | min - max | tests | ${phases.map(([name]) => name).join(' | ')} | target |`,
    `| --- | --- | --- | --- | ${phases.map(() => '---').join(' | ')} | --- |`,
    `| fresh clone, nothing cached | ${r.medianTotalSeconds} s | ${Math.min(...totals).toFixed(1)} - ${Math.max(...totals).toFixed(1)} s | ${r.runs[0]?.tests ?? 0} | ${phases.map(([, s]) => `${s} s`).join(' | ')} | ${budgetCell(r.budgetSeconds, r.withinBudget)} |`,
  ].join('\n');
}
