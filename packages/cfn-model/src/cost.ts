import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadProject, type ResolvedProject, resolveProject } from './project';
import { DEFAULT_TARGET, type ResolvedTemplate, resolveTemplate } from './resolve';
import { loadSamConfig } from './samconfig';
import { isObject, type Json, type JsonObject, loadTemplate, type Resource } from './template';

/**
 * Monthly cost per environment: the resolved templates (what that environment really creates) priced from
 * one table (data/prices.json: region, date, the page each figure comes from, and the usage assumed per
 * environment type). `npm run cost` prints a table per config-env; tests price fixture templates.
 */

export interface Price {
  usd: number;
  page: string;
}
export interface PriceTable {
  region: string;
  currency: string;
  date: string;
  hoursPerMonth: number;
  prices: Record<string, Price | Record<string, Price>>;
  usage: Record<string, Record<string, number>>;
  /** vCPUs per DB instance class (Extended Support is billed per vCPU-hour), with the page they come from. */
  rdsVcpus?: { page: string; classes: Record<string, number> };
  /** End of RDS standard support per MySQL major version (ISO date), with the page it comes from. */
  rdsStandardSupportEnds?: { page: string; majors: Record<string, string> };
}
export interface LineItem {
  item: string;
  quantity: string;
  monthlyUsd: number;
}

function flat(table: PriceTable, key: string): number {
  const p = table.prices[key] as Price | undefined;
  if (!p || typeof p.usd !== 'number') throw new Error(`data/prices.json has no price ${key}`);
  return p.usd;
}

function sized(table: PriceTable, key: string, size: string): number {
  const byType = table.prices[key] as Record<string, Price> | undefined;
  const p = byType?.[size];
  if (!p)
    throw new Error(
      `data/prices.json has no ${key} price for ${size}: add it (with its page) before pricing this environment`,
    );
  return p.usd;
}

/** Every resource of every layer, with its logical ID. */
const all = (resolved: ResolvedProject): [string, Resource][] =>
  Object.values(resolved.layers).flatMap((l) => Object.entries(l.resources));

/** One copy of the account layer (account/template.yaml) as resolved for a region, priced with usage.account. */
export function priceAccount(copy: ResolvedTemplate, table: PriceTable): LineItem[] {
  const ofType = (t: string) => Object.values(copy.resources).filter((r) => r.Type === t);
  const items = priceResources(Object.entries(copy.resources), 'account', table, copy.parameters);
  const usage = table.usage.account ?? {};
  const add = (item: string, quantity: string, monthlyUsd: number) =>
    items.push({ item, quantity, monthlyUsd: Math.round(monthlyUsd * 100) / 100 });
  if (ofType('AWS::SecurityHub::Standard').length)
    add(
      `Security Hub checks (${ofType('AWS::SecurityHub::Standard').length} standards)`,
      `${usage.securityHubChecks ?? 0}`,
      (usage.securityHubChecks ?? 0) * flat(table, 'securityHubCheck'),
    );
  if (ofType('AWS::GuardDuty::Detector').length) {
    add(
      'GuardDuty management event analysis',
      `${usage.guardDutyManagementEventsMillions ?? 0} M events`,
      (usage.guardDutyManagementEventsMillions ?? 0) * flat(table, 'guardDutyManagementEventsMillion'),
    );
    add(
      'GuardDuty S3 protection',
      `${usage.guardDutyS3EventsMillions ?? 0} M events`,
      (usage.guardDutyS3EventsMillions ?? 0) * flat(table, 'guardDutyS3EventsMillion'),
    );
  }
  if (ofType('AWS::AccessAnalyzer::Analyzer').length)
    add('IAM Access Analyzer (external access)', '1 analyzer', flat(table, 'accessAnalyzerExternal'));
  if (ofType('AWS::CloudFormation::GuardHook').length)
    add(
      'Guard hook handler operations',
      `${usage.hookOperations ?? 0}`,
      (usage.hookOperations ?? 0) * flat(table, 'hookHandlerOperation'),
    );
  return items;
}

export function price(resolved: ResolvedProject, environmentType: string, table: PriceTable): LineItem[] {
  return priceResources(all(resolved), environmentType, table, resolved.root.parameters);
}

/** The line items of some resources (with their logical IDs); `parameters` are the root template's. */
function priceResources(
  entries: [string, Resource][],
  environmentType: string,
  table: PriceTable,
  parameters: Record<string, Json>,
): LineItem[] {
  const ofType = (t: string) => entries.filter(([, r]) => r.Type === t).map(([, r]) => r);
  const usage = table.usage[environmentType];
  if (!usage) throw new Error(`data/prices.json has no usage for environment type ${environmentType}`);
  const h = table.hoursPerMonth;
  const items: LineItem[] = [];
  const add = (item: string, quantity: string, monthlyUsd: number) => {
    if (monthlyUsd > 0 || quantity !== '0')
      items.push({ item, quantity, monthlyUsd: Math.round(monthlyUsd * 100) / 100 });
  };

  // NAT gateways by the hour: a zonal gateway for each hour it exists, a regional one for each hour in each zone it is
  // active in (its AvailabilityZoneAddresses), at the same rate (aws.amazon.com/vpc/pricing, data/prices.json).
  const natGateways = ofType('AWS::EC2::NatGateway');
  const regional = natGateways.some((r) => r.Properties?.AvailabilityMode === 'regional');
  const natZones = natGateways.reduce((n, r) => {
    const zones = r.Properties?.AvailabilityZoneAddresses;
    return n + (r.Properties?.AvailabilityMode === 'regional' && Array.isArray(zones) ? zones.length : 1);
  }, 0);
  if (natZones) {
    add(
      regional ? 'NAT gateway (regional)' : 'NAT gateways',
      regional ? `${natZones} zone x ${h} h` : `${natZones} x ${h} h`,
      natZones * h * flat(table, 'natGatewayHour'),
    );
    add('NAT data processed', `${usage.natGb ?? 0} GB`, (usage.natGb ?? 0) * flat(table, 'natGatewayGb'));
  }
  // Interface endpoints: per endpoint per zone-hour (one network interface in each app subnet), and per GB
  // processed; the S3 gateway endpoint is free (aws.amazon.com/privatelink/pricing, data/prices.json).
  const interfaces = ofType('AWS::EC2::VPCEndpoint').filter((r) => r.Properties?.VpcEndpointType === 'Interface');
  if (interfaces.length) {
    const appSubnets = entries.filter(([id, r]) => r.Type === 'AWS::EC2::Subnet' && /^App/.test(id)).length;
    const zoneHours = interfaces.reduce((n, r) => {
      const subnets = r.Properties?.SubnetIds;
      const known = Array.isArray(subnets) && subnets.every((x) => typeof x === 'string' && !x.startsWith('<'));
      return n + (known ? subnets.length : appSubnets);
    }, 0);
    add(
      `VPC interface endpoints (${interfaces.length})`,
      `${zoneHours} zone x ${h} h`,
      zoneHours * h * flat(table, 'vpcEndpointZoneHour'),
    );
    add(
      'VPC endpoint data processed',
      `${usage.endpointGb ?? 0} GB`,
      (usage.endpointGb ?? 0) * flat(table, 'vpcEndpointGb'),
    );
  }
  const eips = ofType('AWS::EC2::EIP').length;
  if (eips) add('public IPv4 addresses (NAT EIPs)', `${eips} x ${h} h`, eips * h * flat(table, 'publicIpv4Hour'));
  const albs = ofType('AWS::ElasticLoadBalancingV2::LoadBalancer').length;
  if (albs) {
    add('application load balancer', `${albs} x ${h} h`, albs * h * flat(table, 'albHour'));
    add(
      'ALB capacity units',
      `${usage.albLcu ?? 0} LCU x ${h} h`,
      albs * (usage.albLcu ?? 0) * h * flat(table, 'albLcuHour'),
    );
    // An internet-facing ALB holds one public IPv4 address per zone it spans: its Subnets when the template
    // lists them, otherwise (they come from another layer's output) the public subnets the stack creates.
    const publicSubnets = entries.filter(([id, r]) => r.Type === 'AWS::EC2::Subnet' && /^Public/.test(id)).length;
    const zones = ofType('AWS::ElasticLoadBalancingV2::LoadBalancer').reduce((n, r) => {
      const subnets = r.Properties?.Subnets;
      return (
        n +
        (Array.isArray(subnets) && subnets.every((s) => typeof s === 'string' && !s.startsWith('<'))
          ? subnets.length
          : publicSubnets)
      );
    }, 0);
    add('public IPv4 addresses (ALB)', `${zones} x ${h} h`, zones * h * flat(table, 'publicIpv4Hour'));
  }
  for (const asg of ofType('AWS::AutoScaling::AutoScalingGroup')) {
    const lt = ofType('AWS::EC2::LaunchTemplate')[0]?.Properties?.LaunchTemplateData as
      | Record<string, unknown>
      | undefined;
    const type = String(lt?.InstanceType);
    const count = Number(asg.Properties?.DesiredCapacity ?? asg.Properties?.MinSize ?? 0);
    add(`app instances (${type}, desired)`, `${count} x ${h} h`, count * h * sized(table, 'ec2Hour', type));
    const mappings = (lt?.BlockDeviceMappings as { Ebs?: { VolumeSize?: number } }[] | undefined) ?? [];
    const gb = mappings.reduce((n, m) => n + Number(m.Ebs?.VolumeSize ?? 0), 0);
    if (gb) add('instance volumes (gp3)', `${count} x ${gb} GB`, count * gb * flat(table, 'ebsGp3GbMonth'));
  }
  for (const db of ofType('AWS::RDS::DBInstance')) {
    const p = db.Properties ?? {};
    const multi = String(p.MultiAZ) === 'true' ? 2 : 1;
    const cls = String(p.DBInstanceClass);
    add(
      `RDS MySQL ${cls}${multi === 2 ? ' Multi-AZ' : ''}`,
      `${multi} x ${h} h`,
      multi * h * sized(table, 'rdsHour', cls),
    );
    const gb = Number(p.AllocatedStorage ?? 0);
    add('RDS storage (gp3)', `${gb} GB${multi === 2 ? ' x 2' : ''}`, multi * gb * flat(table, 'rdsGp3GbMonth'));
    add('RDS backups', `up to ${gb} GB: included`, 0);
    const extended = extendedSupport(parameters, p, table);
    if (extended) {
      const vcpus = table.rdsVcpus?.classes[cls];
      if (vcpus === undefined)
        throw new Error(
          `data/prices.json has no rdsVcpus for ${cls}: add it (with its page) before pricing Extended Support`,
        );
      // Charged per vCPU-hour, the Multi-AZ standby included (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/
      // extended-support-charges.html).
      add(
        `RDS Extended Support (MySQL ${extended}, year 1-2 rate)`,
        `${multi} x ${vcpus} vCPU x ${h} h`,
        multi * vcpus * h * flat(table, 'rdsExtendedSupportVcpuHour'),
      );
    }
  }
  const alarms = ofType('AWS::CloudWatch::Alarm').length;
  add('CloudWatch alarms', `${alarms}`, alarms * flat(table, 'alarmMonth'));
  const groups = ofType('AWS::Logs::LogGroup').length;
  add(
    'CloudWatch Logs ingestion and storage',
    `${groups} groups, ${usage.logsIngestGb ?? 0} GB in, ${usage.logsStoredGb ?? 0} GB kept`,
    (usage.logsIngestGb ?? 0) * flat(table, 'logsIngestGb') +
      (usage.logsStoredGb ?? 0) * flat(table, 'logsStoreGbMonth'),
  );
  if (ofType('AWS::Config::ConfigurationRecorder').length) {
    add('AWS Config items recorded', `${usage.configItems ?? 0}`, (usage.configItems ?? 0) * flat(table, 'configItem'));
  }
  const rules = ofType('AWS::Config::ConfigRule').length;
  if (rules) {
    add(
      `AWS Config rule evaluations (${rules} rules)`,
      `${usage.ruleEvaluations ?? 0}`,
      (usage.ruleEvaluations ?? 0) * flat(table, 'configRuleEvaluation'),
    );
  }
  const trails = ofType('AWS::CloudTrail::Trail').length;
  if (trails)
    add(
      'CloudTrail (first copy of management events)',
      `${trails} trail`,
      trails * flat(table, 'cloudTrailManagementCopy'),
    );
  for (const trail of ofType('AWS::CloudTrail::Trail')) {
    // S3 object-level (data) events, per 100,000 delivered: writes always, reads when no readOnly=false filter.
    const fields = (selector: Json) =>
      isObject(selector) && Array.isArray(selector.FieldSelectors) ? selector.FieldSelectors.filter(isObject) : [];
    const has = (f: JsonObject[], field: string, value: string) =>
      f.some((x) => x.Field === field && Array.isArray(x.Equals) && x.Equals.includes(value));
    const selectors = Array.isArray(trail.Properties?.AdvancedEventSelectors)
      ? trail.Properties.AdvancedEventSelectors
      : [];
    const s3 = selectors
      .map(fields)
      .find((f) => has(f, 'eventCategory', 'Data') && has(f, 'resources.type', 'AWS::S3::Object'));
    if (!s3) continue;
    const writesOnly = has(s3, 'readOnly', 'false');
    const millions = (usage.s3DataWriteEventsMillions ?? 0) + (writesOnly ? 0 : (usage.s3DataReadEventsMillions ?? 0));
    add(
      `CloudTrail S3 data events (${writesOnly ? 'writes' : 'writes and reads'})`,
      `${millions} M events`,
      millions * 10 * flat(table, 'cloudTrailDataEvents100k'),
    );
  }
  const keys = ofType('AWS::KMS::Key').length;
  add(
    'KMS keys and requests',
    `${keys} key, ${usage.kmsRequests ?? 0} requests`,
    keys * flat(table, 'kmsKeyMonth') + ((usage.kmsRequests ?? 0) / 10_000) * flat(table, 'kmsRequests10k'),
  );
  for (const acl of ofType('AWS::WAFv2::WebACL')) {
    const ruleCount = Array.isArray(acl.Properties?.Rules) ? acl.Properties.Rules.length : 0;
    add(
      `WAF web ACL (${ruleCount} rules)`,
      `${usage.wafRequests ?? 0} requests`,
      flat(table, 'wafAclMonth') +
        ruleCount * flat(table, 'wafRuleMonth') +
        ((usage.wafRequests ?? 0) / 1e6) * flat(table, 'wafRequestsMillion'),
    );
  }
  const managedSecrets = ofType('AWS::RDS::DBInstance').filter(
    (r) => String(r.Properties?.ManageMasterUserPassword) === 'true',
  ).length;
  const secrets = ofType('AWS::SecretsManager::Secret').length + managedSecrets;
  if (secrets) add('Secrets Manager (RDS-managed master secret)', `${secrets}`, secrets * flat(table, 'secretMonth'));
  const buckets = ofType('AWS::S3::Bucket').length;
  if (buckets)
    add(
      `S3 log storage (${buckets} buckets)`,
      `${usage.s3LogsGb ?? 0} GB`,
      (usage.s3LogsGb ?? 0) * flat(table, 's3StandardGbMonth'),
    );
  return items;
}

/**
 * The MySQL major an instance runs past its end of standard support while enrolled in Extended Support, or
 * undefined. EngineLifecycleSupport absent means enrolled (RDS's default). The major comes from a literal
 * EngineVersion, else from the root's DbMajorVersion (the engine-version lookup fills EngineVersion in later).
 */
function extendedSupport(
  parameters: Record<string, Json>,
  props: Record<string, unknown>,
  table: PriceTable,
): string | undefined {
  const lifecycle = String(props.EngineLifecycleSupport ?? 'open-source-rds-extended-support');
  if (lifecycle !== 'open-source-rds-extended-support') return undefined;
  const version = typeof props.EngineVersion === 'string' ? props.EngineVersion : undefined;
  const major = version?.split('.').slice(0, 2).join('.') ?? String(parameters.DbMajorVersion ?? '');
  const ends = table.rdsStandardSupportEnds?.majors[major];
  if (!ends) throw new Error(`data/prices.json has no rdsStandardSupportEnds for MySQL ${major || '(unknown major)'}`);
  return table.date > ends ? major : undefined;
}

export const total = (items: LineItem[]) => Math.round(items.reduce((n, i) => n + i.monthlyUsd, 0) * 100) / 100;

function markdown(title: string, items: LineItem[]): string[] {
  return [
    title,
    '',
    '| line item | quantity | per month |',
    '| --- | --- | ---: |',
    ...items.map((i) => `| ${i.item} | ${i.quantity} | ${i.monthlyUsd.toFixed(2)} |`),
    `| **total** | | **${total(items).toFixed(2)}** |`,
    '',
  ];
}

/**
 * The cost report: each environment of samconfig.toml, then one copy of the account layer in the global resources
 * region and one in any other region (the two-level model: an account pays the first once and the second per
 * further region, whatever number of environments it holds).
 */
/** A config-env's environment as deployed, with what staging and prod require (a certificate, an alarm subscriber). */
function resolveEnvironment(
  project: ReturnType<typeof loadProject>,
  overrides: Record<string, string> = {},
): ResolvedProject {
  return resolveProject(project, {
    CertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
    AlarmEmail: 'oncall@example.com',
    ...overrides,
  });
}

export function costReport(
  root: string,
  envs: string[] = ['dev', 'staging', 'prod'],
): { lines: string[]; totals: string[] } {
  const table = JSON.parse(readFileSync(resolve(root, 'data', 'prices.json'), 'utf8')) as PriceTable;
  const configs = loadSamConfig(resolve(root, 'samconfig.toml'));
  const project = loadProject(resolve(root, 'template.yaml'));
  const lines: string[] = [];
  const totals: string[] = [];
  for (const env of envs) {
    const config = configs[env];
    if (!config) throw new Error(`--config-env ${env}: no such config-env in samconfig.toml`);
    const resolved = resolveEnvironment(project, config.parameterOverrides);
    const type = String(resolved.root.parameters.EnvironmentType);
    const items = price(resolved, type, table);
    lines.push(
      ...markdown(
        `${env} (${type}), ${table.region}, ${table.currency} per month, list prices of ${table.date}`,
        items,
      ),
    );
    totals.push(`${env} $${total(items).toFixed(2)}`);
  }
  const account = loadTemplate(resolve(root, 'account', 'template.yaml'));
  const target = {
    ...DEFAULT_TARGET,
    region: table.region,
    availabilityZones: [`${table.region}a`, `${table.region}b`],
  };
  const copies: [string, Record<string, string>][] = [
    ['account layer, global resources region (once per account)', {}],
    ['account layer, each further region', { GlobalResourcesRegion: 'us-east-1' }],
  ];
  for (const [title, parameters] of copies) {
    const copy = resolveTemplate(
      account,
      { AlarmEmail: 'security@example.com', ...parameters },
      { target, where: 'account/template.yaml' },
    );
    const items = priceAccount(copy, table);
    lines.push(...markdown(`${title}, ${table.region}, ${table.currency} per month`, items));
    totals.push(`${title.replace('account layer, ', 'account: ')} $${total(items).toFixed(2)}`);
  }
  return { lines, totals };
}

/** The docs block (docs.ts): totals, then every table. */
export function costBlock(root: string): string {
  const { lines, totals } = costReport(root);
  return [
    `Totals per month (usage assumptions in data/prices.json): ${totals.join(', ')}.`,
    '',
    ...lines,
    ...natOptions(root),
  ].join('\n');
}

/** What each NatGatewayMode costs per month in each environment: its NAT lines (gateway hours, data, addresses). */
export function natOptions(root: string): string[] {
  const table = JSON.parse(readFileSync(resolve(root, 'data', 'prices.json'), 'utf8')) as PriceTable;
  const configs = loadSamConfig(resolve(root, 'samconfig.toml'));
  const project = loadProject(resolve(root, 'template.yaml'));
  const modes = ['single', 'per-az', 'regional'];
  const rows = ['dev', 'staging', 'prod'].map((env) => {
    const cells = modes.map((mode) => {
      const resolved = resolveEnvironment(project, { ...configs[env]?.parameterOverrides, NatGatewayMode: mode });
      const nat = price(resolved, String(resolved.root.parameters.EnvironmentType), table).filter((i) =>
        /NAT/.test(i.item),
      );
      const refused = resolved.root.ruleViolations.some((v) => v.rule === 'ZonalEgressOutsideDev')
        ? ' (refused: a zone lost takes the egress)'
        : '';
      return `$${total(nat).toFixed(2)}${refused}`;
    });
    return `| ${env} | ${cells.join(' | ')} |`;
  });
  return [
    '',
    `NAT options (NatGatewayMode), the NAT lines only (gateway hours, data processed, their addresses), ${table.currency} per month`,
    '',
    `| environment | ${modes.join(' | ')} |`,
    `| --- | ${modes.map(() => '---:').join(' | ')} |`,
    ...rows,
  ];
}

/** The command line (src/cli/cost.ts). */
export function main(argv: string[]): number {
  const root = resolve(argv.find((a) => !a.startsWith('--') && !argv[argv.indexOf(a) - 1]?.startsWith('--')) ?? '.');
  const envIndex = argv.indexOf('--config-env');
  try {
    const { lines, totals } = costReport(root, envIndex >= 0 ? [argv[envIndex + 1] ?? ''] : undefined);
    console.log(lines.join('\n'));
    console.log(`totals: ${totals.join(', ')} (usage assumptions in data/prices.json)`);
  } catch (error) {
    console.error((error as Error).message);
    return 64;
  }
  return 0;
}
