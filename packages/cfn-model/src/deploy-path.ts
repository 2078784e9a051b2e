import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildGraph, type CreateTimes, longestPath, pathBreakdown, toDot, updateImpact } from './critical-path';
import { SamConfigError } from './errors';
import { loadProject, resolveProject } from './project';
import { DEFAULT_TARGET } from './resolve';
import { loadSamConfig } from './samconfig';

/**
 * `npm run bench:deploy -- --config-env prod`: the create critical path of one environment, layered as
 * deployed and as a lower bound that ignores layer boundaries, with their ratio against the environment's
 * budget and what the gap is made of, and what an update of each layer alone touches. `--graph DIR` also writes the graph as DOT, SVG and PNG (Graphviz's
 * `dot`, installed by tools/setup.sh), the critical path in red.
 */
/**
 * The create-time budgets: the critical path as deployed over its lower bound, per environment. The Multi-AZ
 * environments (a 25-minute database) are held to 5 %, dev (a 12-minute one, so the fixed overheads weigh
 * more) to 15 %; any other config-env takes dev's.
 */
export const DEPLOY_PATH_BUDGETS: Readonly<Record<string, number>> = { dev: 1.15, staging: 1.05, prod: 1.05 };
export const budgetOf = (env: string) => DEPLOY_PATH_BUDGETS[env] ?? 1.15;

/** The create critical path of one config-env, as deployed and as its lower bound, from the templates and data/create-times.json. */
export function analyse(root: string, env: string, extra: Record<string, string> = {}) {
  const times = JSON.parse(readFileSync(resolve(root, 'data', 'create-times.json'), 'utf8')) as CreateTimes;
  const config = loadSamConfig(resolve(root, 'samconfig.toml'))[env];
  if (!config) throw new SamConfigError(`--config-env ${env}: no such config-env in samconfig.toml`);
  const project = loadProject(resolve(root, 'template.yaml'));
  // staging and prod need a certificate to pass the template's rule; its value does not change the graph.
  const overrides = {
    CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
    ...config.parameterOverrides,
  };
  const resolved = resolveProject(
    project,
    { ...(env === 'dev' || env === 'local' ? config.parameterOverrides : overrides), ...extra },
    DEFAULT_TARGET,
  );
  const layeredGraph = buildGraph(project, resolved, times, 'layered');
  const layered = longestPath(layeredGraph);
  const ideal = longestPath(buildGraph(project, resolved, times, 'ideal'));
  const breakdown = pathBreakdown(layered, ideal, times);
  return {
    resolved,
    layeredGraph,
    layered,
    ideal,
    breakdown,
    ratio: layered.total / ideal.total,
    /** The ratio if nothing but the nested-stack starts on the path stood between it and its lower bound. */
    startsOnlyRatio: (ideal.total + breakdown.startSeconds) / ideal.total,
    budget: budgetOf(env),
  };
}

export const minutes = (s: number) => `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;

/**
 * The docs block: estimated create, lower bound and ratio per environment against its budget, what the gap is
 * made of, and for each environment over its budget whether any restructure within these layers could meet it.
 */
export function deployPathBlock(root: string): string {
  const envs = ['dev', 'staging', 'prod'];
  const rows = [
    ...envs.map((env) => ({ env, ...analyse(root, env) })),
    // the NAT option that changes the egress layer's graph (one gateway at the VPC instead of one per zone)
    { env: 'prod (NatGatewayMode=regional)', ...analyse(root, 'prod', { NatGatewayMode: 'regional' }) },
  ];
  const meets = (ratio: number, budget: number) => Number(ratio.toFixed(2)) <= budget;
  const within = rows.filter((r) => meets(r.ratio, r.budget)).map((r) => r.env);
  const over = rows.filter((r) => !meets(r.ratio, r.budget));
  const verdict = (r: (typeof rows)[number]) => {
    const starts = `${r.breakdown.stackStarts.length} nested-stack starts (${r.breakdown.stackStarts.map((l) => l.replace(/Stack$/, '')).join(' -> ')})`;
    const excess = Math.ceil(r.layered.total - r.budget * r.ideal.total);
    return meets(r.startsOnlyRatio, r.budget)
      ? `${r.env}: its ${starts} alone give ${r.startsOnlyRatio.toFixed(3)}; meeting ${r.budget} takes removing ${excess} s of its ${r.breakdown.waitSeconds} s of waits for the rest of a layer.`
      : `${r.env}: its ${starts} alone give ${r.startsOnlyRatio.toFixed(3)}, over its budget of ${r.budget} before any wait: while each of these layers takes an output of the one before, no restructure within them can meet it.`;
  };
  return [
    '| environment | estimated create | lower bound | ratio | budget | nested-stack starts on the path | waits for the rest of a layer |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.env} | ${minutes(r.layered.total)} | ${minutes(r.ideal.total)} | ${r.ratio.toFixed(2)} | ${r.budget} | ${r.breakdown.stackStarts.length} (${r.breakdown.startSeconds} s) | ${r.breakdown.waitSeconds} s |`,
    ),
    '',
    `Within the budget: ${within.join(', ') || 'none'}. Over it: ${over.map((r) => r.env).join(', ') || 'none'}.`,
    ...(over.length ? ['', ...over.map((r) => `- ${verdict(r)}`)] : []),
  ].join('\n');
}

/** The command line (src/cli/deploy-path.ts). */
export function main(argv: string[]): number {
  const envIndex = argv.indexOf('--config-env');
  const env = (envIndex >= 0 ? argv[envIndex + 1] : 'prod') ?? 'prod';
  const graphIndex = argv.indexOf('--graph');
  const graphDir = graphIndex >= 0 ? argv[graphIndex + 1] : undefined;
  const root = resolve(
    argv.find((a, i) => !a.startsWith('--') && !['--config-env', '--graph'].includes(argv[i - 1] ?? '')) ?? '.',
  );
  let analysis: ReturnType<typeof analyse>;
  try {
    analysis = analyse(root, env);
  } catch (error) {
    if (!(error instanceof SamConfigError)) throw error;
    console.error(error.message);
    return 64;
  }
  const { resolved, layeredGraph, layered, ideal, ratio, breakdown, budget } = analysis;

  console.log(`== ${env}: create critical path as deployed (nested stacks)`);
  for (const step of layered.steps)
    console.log(
      `   ${minutes(step.finishesAt).padStart(7)}  +${String(step.seconds).padStart(4)}s  ${step.id} (${step.type})`,
    );
  console.log(`== ${env}: lower bound (each resource waits only for what it uses)`);
  for (const step of ideal.steps)
    console.log(
      `   ${minutes(step.finishesAt).padStart(7)}  +${String(step.seconds).padStart(4)}s  ${step.id} (${step.type})`,
    );
  console.log(
    `estimated create ${minutes(layered.total)}, lower bound ${minutes(ideal.total)}, ratio ${ratio.toFixed(2)} (budget ${budget})`,
  );
  console.log(
    `   of the ${layered.total - ideal.total} s between them: ${breakdown.stackStarts.length} nested-stack starts on the path (${breakdown.startSeconds} s: ${breakdown.stackStarts.join(' -> ')}), ${breakdown.waitSeconds} s of waits for the rest of a layer`,
  );
  if (graphDir) {
    const base = resolve(graphDir, `deploy-graph-${env}`);
    const title = `Strata ${env}: create graph, critical path in red (estimated ${minutes(layered.total)}, lower bound ${minutes(ideal.total)})`;
    writeFileSync(`${base}.dot`, toDot(layeredGraph, layered, title));
    for (const format of ['svg', 'png']) {
      execFileSync('dot', [
        `-T${format}`,
        ...(format === 'png' ? ['-Gdpi=50'] : []),
        `${base}.dot`,
        '-o',
        `${base}.${format}`,
      ]);
    }
    console.log(`graph: ${base}.svg, ${base}.png`);
  }
  console.log('== an update of one layer alone touches');
  for (const [layer, consumers] of Object.entries(updateImpact(resolved))) {
    const n = Object.keys(resolved.layers[layer]?.resources ?? {}).length;
    console.log(
      `   ${layer} (${n} resources)${consumers.length ? `; then ${consumers.join(', ')} if the outputs they take change` : ''}`,
    );
  }
  return 0;
}
