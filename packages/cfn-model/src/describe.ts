import { resolve } from 'node:path';
import { loadProject, type ResolvedProject, resolveProject } from './project';
import { DEFAULT_TARGET } from './resolve';
import { loadSamConfig } from './samconfig';

/** The per-environment choices worth printing, read from the resolved layers (not from the mapping). */
export interface EnvironmentDescription {
  env: string;
  stackName: string;
  environmentType: string;
  layers: { name: string; resources: number; dependsOn: string[] }[];
  totalResources: number;
  choices: Record<string, string>;
  needsBeforeDeploy: string[];
}

export function describeEnvironment(env: string, stackName: string, resolved: ResolvedProject): EnvironmentDescription {
  const layerName = (id: string) => id.replace(/Stack$/, '').toLowerCase();
  const layers = Object.entries(resolved.layers).map(([id, layer]) => ({
    name: layerName(id),
    resources: Object.keys(layer.resources).length,
    dependsOn: (resolved.layerDependencies[id] ?? []).map(layerName),
  }));
  const of = (layer: string) => resolved.layers[`${layer}Stack`];
  const count = (layer: string, type: string) =>
    Object.values(of(layer)?.resources ?? {}).filter((r) => r.Type === type).length;
  const db = of('Database')?.resources.DbInstance;
  const asg = of('Compute')?.resources.AutoScalingGroup?.Properties ?? {};
  const lt = of('Compute')?.resources.LaunchTemplate?.Properties?.LaunchTemplateData;
  const flowLogs = of('Network')?.resources.FlowLogGroup?.Properties ?? {};
  const choices: Record<string, string> = {
    'availability zones': String(count('Network', 'AWS::EC2::Subnet') / 3),
    'NAT gateways': String(count('Egress', 'AWS::EC2::NatGateway')),
    'app instances (min-max)': `${String(asg.MinSize)}-${String(asg.MaxSize)} x ${String((lt as Record<string, unknown> | undefined)?.InstanceType)}`,
    database: `${String(db?.Properties?.DBInstanceClass)}, Multi-AZ ${String(db?.Properties?.MultiAZ)}`,
    'deletion protection / DB on delete': `${count('Verification', 'Custom::DeletionProtection') > 0 ? 'on once deployed' : 'off'} / ${String(db?.DeletionPolicy)}`,
    'log retention (days)': String(flowLogs.RetentionInDays),
    'WAF on the ALB': count('Compute', 'AWS::WAFv2::WebACL') > 0 ? 'on' : 'off',
    HTTPS: count('Compute', 'AWS::ElasticLoadBalancingV2::Listener') > 1 ? 'on (HTTP redirects)' : 'off (HTTP only)',
    'Config recorder':
      count('Compliance', 'AWS::Config::ConfigurationRecorder') > 0 ? 'created' : "account's existing one",
    'TLS verification after deploy': String(of('Verification')?.resources.TlsVerification?.Properties?.Mode ?? 'none'),
  };
  return {
    env,
    stackName,
    environmentType: String(resolved.root.parameters.EnvironmentType),
    layers,
    totalResources: layers.reduce((n, l) => n + l.resources, 0),
    choices,
    needsBeforeDeploy: [
      ...resolved.root.ruleViolations.map((v) => `${v.rule}: ${v.description}`),
      ...Object.values(resolved.layers).flatMap((l) => l.ruleViolations.map((v) => `${v.rule}: ${v.description}`)),
    ],
  };
}

export function render(description: EnvironmentDescription): string {
  const lines = [
    `== ${description.env} (${description.environmentType}) -> stack ${description.stackName}: ${description.layers.length} layers, ${description.totalResources} resources`,
  ];
  for (const layer of description.layers) {
    const deps = layer.dependsOn.length ? ` (after ${layer.dependsOn.join(', ')})` : '';
    lines.push(`   ${layer.name.padEnd(12)} ${String(layer.resources).padStart(3)} resources${deps}`);
  }
  for (const [k, v] of Object.entries(description.choices)) lines.push(`   ${k.padEnd(36)} ${v}`);
  for (const need of description.needsBeforeDeploy) lines.push(`   NEEDS BEFORE DEPLOY  ${need}`);
  return lines.join('\n');
}

/** The command line (src/cli/describe.ts). */
export function main(argv: string[]): number {
  const root = resolve(argv[0] ?? '.');
  const project = loadProject(resolve(root, 'template.yaml'));
  const configs = loadSamConfig(resolve(root, 'samconfig.toml'));
  for (const config of Object.values(configs)) {
    const region = config.region ?? DEFAULT_TARGET.region;
    const target = {
      ...DEFAULT_TARGET,
      region,
      availabilityZones: ['a', 'b', 'c', 'd'].map((z) => `${region}${z}`),
    };
    const resolved = resolveProject(project, config.parameterOverrides, target);
    console.log(render(describeEnvironment(config.env, config.stackName, resolved)));
  }
  return 0;
}
