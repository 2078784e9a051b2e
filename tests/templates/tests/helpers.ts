import { join } from 'node:path';
import {
  DEFAULT_TARGET,
  type Json,
  type JsonObject,
  loadProject,
  loadSamConfig,
  loadTemplate,
  type Project,
  type ResolvedProject,
  type Resource,
  resolveProject,
  type Template,
} from '@strata/cfn-model';

export const REPO = join(__dirname, '..', '..', '..');
export const project: Project = loadProject(join(REPO, 'template.yaml'));
export const samconfig = loadSamConfig(join(REPO, 'samconfig.toml'));

/** The account layer (plain CloudFormation, deployed once per account and region before the environments). */
export const account: Template = loadTemplate(join(REPO, 'account', 'template.yaml'));
export const accountSamconfig = loadSamConfig(join(REPO, 'samconfig.toml'), 'account/template.yaml');

/** Every template of the project: the root, each layer, and the account layer, by name. */
export const templates: Record<string, Template> = {
  root: project.root,
  ...Object.fromEntries(project.layers.map((l) => [l.name, l.template])),
  account,
};

export function layer(name: string): Template {
  const found = project.layers.find((l) => l.name === name);
  if (!found) throw new Error(`no layer ${name}`);
  return found.template;
}

export const TEST_BACKUP_KEY = 'arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555';
export const TEST_CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

/** The project resolved for a config-env of samconfig.toml (staging and prod with a test certificate). */
export function environment(env: 'dev' | 'staging' | 'prod', extra: Record<string, string> = {}): ResolvedProject {
  const config = samconfig[env];
  if (!config) throw new Error(`samconfig.toml has no ${env}`);
  const certificate: Record<string, string> =
    env === 'dev' ? {} : { CertificateArn: TEST_CERTIFICATE, AlarmEmail: 'oncall@example.com' };
  // Prod keeps its backups in a second Region too (the BackupReplicationRequiredInProd rule).
  if (env === 'prod')
    Object.assign(certificate, {
      DbBackupReplicationRegion: 'eu-central-1',
      DbBackupReplicationKmsKeyArn: TEST_BACKUP_KEY,
    });
  return resolveProject(
    project,
    { ...config.parameterOverrides, ...certificate, ...extra },
    {
      ...DEFAULT_TARGET,
      region: 'eu-west-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    },
  );
}

export function resourcesOf(resolved: ResolvedProject, layerName: string): Record<string, Resource> {
  const key = `${layerName[0]?.toUpperCase()}${layerName.slice(1)}Stack`;
  const found = resolved.layers[key];
  if (!found) throw new Error(`layer ${layerName} not deployed`);
  return found.resources;
}

export function ofType(resources: Record<string, Resource>, type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

export function props(resource: Resource | undefined): JsonObject {
  if (!resource?.Properties) throw new Error('resource has no Properties');
  return resource.Properties;
}

/** Depth-first walk over every object in a JSON value. */
export function* walk(value: Json | undefined): Generator<JsonObject> {
  if (Array.isArray(value)) for (const v of value) yield* walk(v);
  else if (value !== null && typeof value === 'object') {
    yield value;
    for (const v of Object.values(value)) yield* walk(v);
  }
}

/** Policy statements of a policy document, as a flat list. */
export function statements(document: Json | undefined): JsonObject[] {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return [];
  const s = document.Statement;
  return (Array.isArray(s) ? s : s ? [s] : []).filter(
    (x): x is JsonObject => x !== null && typeof x === 'object' && !Array.isArray(x),
  );
}

export function list(value: Json | undefined): Json[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Parameters for the database layer deployed alone (dev-sized), without the engine ones a test varies. */
export const DATABASE_LAYER_PARAMETERS = {
  EnvironmentSuffix: 'dev',
  RetainData: 'false',
  LogRetentionDays: 14,
  DataSubnetIds: 'subnet-12345678',
  DatabaseSecurityGroupId: 'sg-12345678',
  KmsKeyArn: 'k',
  AlarmTopicArn: 't',
  InstanceClass: 'db.t4g.micro',
  MultiAz: 'false',
  DeletionProtection: 'false',
  BackupRetentionDays: 7,
  AllocatedStorage: 20,
  MaxAllocatedStorage: 100,
  EnablePerformanceInsights: 'false',
};

/** Whether an IPv4 address lies in a CIDR block. */
export function inCidr(ip: string, cidr: string): boolean {
  const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const [base = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
}

/**
 * A network ACL's decision for an inbound TCP packet, as EC2 makes it: entries in rule-number order, the
 * first match decides, no match denies (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html).
 * `cidrOf` turns an entry's CidrBlock into an address block (for values only known once deployed).
 */
export function naclInbound(
  entries: JsonObject[],
  source: string,
  port: number,
  cidrOf: (v: Json | undefined) => string = String,
): string {
  const match = entries
    .filter((e) => e.Egress === false)
    .sort((a, b) => Number(a.RuleNumber) - Number(b.RuleNumber))
    .find((e) => {
      const range = e.PortRange as { From: number; To: number };
      return inCidr(source, cidrOf(e.CidrBlock)) && port >= range.From && port <= range.To;
    });
  return String(match?.RuleAction ?? 'deny');
}
