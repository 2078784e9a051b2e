import type { ResolvedProject } from './project';
import type { ResolvedTemplate } from './resolve';
import type { Resource } from './template';

/**
 * The architecture diagram, generated from the resolved templates: one group per layer holding its main
 * resources (repeated types counted), traffic arrows (internet -> WAF/ALB -> app instances -> database,
 * app -> NAT -> internet) and layer-dependency arrows. Rendered as Mermaid (the README) and as DOT (the
 * SVG under docs/, through Graphviz). Both come from one model, so they cannot disagree.
 */

/** Types shown, with their label; every other type stays out of the picture (roles, policies, alarms...). */
const SHOWN: [string, string][] = [
  ['AWS::KMS::Key', 'KMS key'],
  ['AWS::SNS::Topic', 'alarm topic'],
  ['AWS::S3::Bucket', 'log bucket'],
  ['AWS::CloudTrail::Trail', 'CloudTrail'],
  ['AWS::Config::ConfigurationRecorder', 'Config recorder'],
  ['AWS::Config::ConfigRule', 'Config rule'],
  ['AWS::Logs::MetricFilter', 'CIS metric filter + alarm'],
  ['AWS::EC2::VPC', 'VPC'],
  ['AWS::EC2::Subnet', 'subnet'],
  ['AWS::EC2::NetworkAcl', 'network ACL'],
  ['AWS::EC2::FlowLog', 'flow log'],
  ['AWS::EC2::SecurityGroup', 'security group'],
  ['AWS::EC2::NatGateway', 'NAT gateway'],
  ['AWS::EC2::VPCEndpoint', 'VPC endpoint'],
  ['AWS::WAFv2::WebACL', 'WAF web ACL'],
  ['AWS::ElasticLoadBalancingV2::LoadBalancer', 'ALB'],
  ['AWS::AutoScaling::AutoScalingGroup', 'Auto Scaling group'],
  ['AWS::RDS::DBInstance', 'RDS MySQL'],
  ['AWS::Serverless::Function', 'Lambda'],
  ['AWS::Lambda::Function', 'Lambda'],
  ['AWS::SecurityHub::Hub', 'Security Hub'],
  ['AWS::SecurityHub::Standard', 'Security Hub standard'],
  ['AWS::GuardDuty::Detector', 'GuardDuty'],
  ['AWS::AccessAnalyzer::Analyzer', 'IAM Access Analyzer'],
  ['AWS::CloudFormation::GuardHook', 'Guard hook (policy rules)'],
];

export interface DiagramNode {
  id: string;
  label: string;
}

export interface DiagramModel {
  layers: { id: string; name: string; nodes: DiagramNode[] }[];
  traffic: [string, string, string][];
  dependencies: [string, string][];
}

function customLabel(resource: Resource): string | undefined {
  return resource.Type.startsWith('Custom::')
    ? `${resource.Type.slice('Custom::'.length)} (custom resource)`
    : undefined;
}

/**
 * `account`: the account layer (account/template.yaml), drawn first as its own group: each environment's layers are
 * deployed on top of it, so it points at the environment's first layer.
 */
export function diagramModel(resolved: ResolvedProject, account?: ResolvedTemplate): DiagramModel {
  const layers: DiagramModel['layers'] = [];
  const firstOf = new Map<string, string>();
  const groups: [string, Record<string, Resource>][] = [
    ...(account ? ([['AccountStack', account.resources]] as [string, Record<string, Resource>][]) : []),
    ...Object.entries(resolved.layers).map(
      ([id, layer]) => [id, layer.resources] as [string, Record<string, Resource>],
    ),
  ];
  for (const [layerId, layerResources] of groups) {
    const name = layerId.replace(/Stack$/, '').toLowerCase();
    const counts = new Map<string, { label: string; count: number; first: string }>();
    for (const [logicalId, resource] of Object.entries(layerResources)) {
      const label = SHOWN.find(([type]) => type === resource.Type)?.[1] ?? customLabel(resource);
      if (!label) continue;
      const entry = counts.get(label) ?? { label, count: 0, first: logicalId };
      entry.count += 1;
      counts.set(label, entry);
      if (!firstOf.has(resource.Type)) firstOf.set(resource.Type, `${name}_${entry.first}`);
    }
    const nodes = [...counts.values()].map((c) => ({
      id: `${name}_${c.first}`,
      label: c.count > 1 ? `${c.label} x${c.count}` : c.label,
    }));
    layers.push({ id: name, name, nodes });
  }
  const node = (type: string) => firstOf.get(type);
  const traffic: [string, string, string][] = [];
  const add = (from: string | undefined, to: string | undefined, label: string) => {
    if (from && to) traffic.push([from, to, label]);
  };
  const alb = node('AWS::ElasticLoadBalancingV2::LoadBalancer');
  const waf = node('AWS::WAFv2::WebACL');
  const app = node('AWS::AutoScaling::AutoScalingGroup');
  add('internet', waf ?? alb, 'HTTPS 443 / HTTP 80 (redirect)');
  if (waf) add(waf, alb, 'filtered');
  add(alb, app, 'app port');
  add(app, node('AWS::RDS::DBInstance'), 'MySQL 3306, TLS required');
  add(app, node('AWS::EC2::NatGateway'), 'egress');
  add(node('AWS::EC2::NatGateway'), 'internet', 'updates, AWS APIs');
  add(app, node('AWS::EC2::VPCEndpoint'), 'S3 and AWS APIs, private');
  const dependencies: [string, string][] = [];
  for (const [layerId, deps] of Object.entries(resolved.layerDependencies)) {
    for (const dep of deps)
      dependencies.push([dep.replace(/Stack$/, '').toLowerCase(), layerId.replace(/Stack$/, '').toLowerCase()]);
  }
  const firstLayer = Object.keys(resolved.layers)[0];
  if (account && firstLayer) dependencies.push(['account', firstLayer.replace(/Stack$/, '').toLowerCase()]);
  return { layers, traffic, dependencies: dependencies.sort() };
}

export function toMermaid(model: DiagramModel): string {
  const lines = ['flowchart LR', '  internet((Internet))'];
  for (const layer of model.layers) {
    lines.push(`  subgraph ${layer.id}[${layer.name} layer]`);
    for (const n of layer.nodes) lines.push(`    ${n.id}["${n.label}"]`);
    lines.push('  end');
  }
  for (const [from, to, label] of model.traffic) lines.push(`  ${from} -->|"${label}"| ${to}`);
  for (const [from, to] of model.dependencies) lines.push(`  ${from} -.-> ${to}`);
  return `${lines.join('\n')}\n`;
}

export function toArchitectureDot(model: DiagramModel): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [
    'digraph strata {',
    '  rankdir=LR; compound=true; fontname="Helvetica"; node [shape=box, style=rounded, fontname="Helvetica", fontsize=10];',
    '  internet [label="Internet", shape=ellipse];',
  ];
  for (const layer of model.layers) {
    lines.push(`  subgraph cluster_${layer.id} { label=${q(`${layer.name} layer`)}; style=rounded; color=gray50;`);
    lines.push(`    ${layer.id}__anchor [shape=point, style=invis];`);
    for (const n of layer.nodes) lines.push(`    ${n.id} [label=${q(n.label)}];`);
    lines.push('  }');
  }
  for (const [from, to, label] of model.traffic)
    lines.push(`  ${from} -> ${to} [label=${q(label)}, color=blue, fontsize=9];`);
  for (const [from, to] of model.dependencies) {
    lines.push(
      `  ${from}__anchor -> ${to}__anchor [ltail=cluster_${from}, lhead=cluster_${to}, style=dashed, color=gray60, arrowsize=0.6];`,
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
