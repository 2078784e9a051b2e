import type { Json, JsonObject, Resource } from '@strata/cfn-model';
import { environment, list, ofType, props, statements, templates, walk } from './helpers';

const resolved = [environment('dev'), environment('staging'), environment('prod')];
const all: [string, Resource][] = resolved.flatMap((e) =>
  Object.entries(e.layers).flatMap(([layer, t]) =>
    Object.entries(t.resources).map(([id, r]) => [`${layer}.${id}`, r] as [string, Resource]),
  ),
);
const unique = [...new Map(all.map(([id, r]) => [id, r])).entries()];

const roles = unique.filter(([, r]) => r.Type === 'AWS::IAM::Role');
const identityStatements = [
  ...roles.flatMap(([id, r]) =>
    list(props(r).Policies).flatMap((p) => statements((p as JsonObject).PolicyDocument).map((s) => [id, s] as const)),
  ),
  ...unique
    .filter(
      ([, r]) =>
        r.Type === 'AWS::IAM::RolePolicy' || r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy',
    )
    .flatMap(([id, r]) => statements(props(r).PolicyDocument).map((s) => [id, s] as const)),
];

/** Actions AWS authorises only on Resource "*" (no resource-level permissions). */
const NO_RESOURCE_LEVEL = new Set([
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSecurityGroupRules',
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeInstanceTypeOfferings',
  'rds:DescribeDBEngineVersions',
  'rds:DescribeOrderableDBInstanceOptions',
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
]);

describe('Identity', () => {
  it('has no IAM statement with a wildcard action', () => {
    for (const [id, s] of identityStatements) {
      for (const a of list(s.Action))
        expect({ id, action: a, wildcard: a === '*' || String(a).endsWith(':*') }).toEqual({
          id,
          action: a,
          wildcard: false,
        });
    }
  });

  it('names the resource in every IAM statement, except for actions AWS authorises only on *', () => {
    expect(identityStatements.length).toBeGreaterThan(5);
    for (const [id, s] of identityStatements) {
      if (!list(s.Resource).includes('*')) continue;
      for (const action of list(s.Action))
        expect({ id, action, resourceLevel: !NO_RESOURCE_LEVEL.has(String(action)) }).toEqual({
          id,
          action,
          resourceLevel: false,
        });
    }
  });

  it('guards every service role trust against the confused deputy with aws:SourceAccount', () => {
    // EC2 does not send aws:SourceAccount when it assumes an instance-profile role (see compute.yaml).
    const exempt = new Set(['ec2.amazonaws.com']);
    for (const [id, r] of roles) {
      for (const s of statements(props(r).AssumeRolePolicyDocument)) {
        const service = (s.Principal as JsonObject).Service as Json;
        if (list(service).every((x) => exempt.has(String(x)))) continue;
        expect({ id, guarded: JSON.stringify(s.Condition ?? {}).includes('aws:SourceAccount') }).toEqual({
          id,
          guarded: true,
        });
      }
    }
  });

  it('grants no resource policy to everyone except as an explicit Deny', () => {
    for (const [id, r] of unique.filter(([, x]) => /Policy$/.test(x.Type) && x.Type !== 'AWS::IAM::Policy')) {
      for (const s of statements(props(r).PolicyDocument)) {
        if (s.Principal === '*' || JSON.stringify(s.Principal) === '{"AWS":"*"}')
          expect({ id, effect: s.Effect }).toEqual({ id, effect: 'Deny' });
      }
    }
  });
});

/** Types that take no tags in CloudFormation; every other type in the templates must carry a Name tag. */
const UNTAGGABLE = new Set([
  'AWS::KMS::Alias',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::Subscription',
  'AWS::S3::BucketPolicy',
  'AWS::EC2::VPCGatewayAttachment',
  'AWS::EC2::Route',
  'AWS::EC2::SubnetRouteTableAssociation',
  'AWS::EC2::NetworkAclEntry',
  'AWS::EC2::SubnetNetworkAclAssociation',
  'AWS::EC2::SecurityGroupIngress',
  'AWS::EC2::SecurityGroupEgress',
  'AWS::IAM::InstanceProfile',
  'AWS::AutoScaling::ScalingPolicy',
  'AWS::WAFv2::WebACLAssociation',
  'AWS::WAFv2::LoggingConfiguration',
  'AWS::Logs::MetricFilter',
  'AWS::Config::ConfigurationRecorder',
  'AWS::Config::DeliveryChannel',
  'AWS::CloudFormation::WaitConditionHandle',
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::IAM::RolePolicy',
  'AWS::IAM::Policy',
  // Tags on alarms and Config rules arrive through the stack tags (Environment, Owner, CostCenter, Project).
  'AWS::CloudWatch::Alarm',
  'AWS::Config::ConfigRule',
]);

describe('Names and tags', () => {
  it('gives every taggable resource a Name tag that includes the environment suffix', () => {
    for (const [id, r] of unique) {
      if (UNTAGGABLE.has(r.Type) || r.Type.startsWith('Custom::')) continue;
      const raw =
        r.Type === 'AWS::AutoScaling::AutoScalingGroup' || r.Type === 'AWS::EC2::LaunchTemplate'
          ? JSON.stringify(props(r))
          : r.Type === 'AWS::Serverless::Function'
            ? JSON.stringify((props(r).Tags as JsonObject | undefined)?.Name ?? null)
            : JSON.stringify((list(props(r).Tags) as JsonObject[]).find((t) => t.Key === 'Name') ?? null);
      expect({
        id,
        type: r.Type,
        named: /strata-(dev|staging|prod)|aws-waf-logs-strata-(dev|staging|prod)/.test(raw),
      }).toEqual({ id, type: r.Type, named: true });
    }
  });

  it('tags launched instances and volumes explicitly with the four cost tags (stack tags do not reach them)', () => {
    const [[, lt] = []] = ofType(environment('prod').layers.ComputeStack?.resources ?? {}, 'AWS::EC2::LaunchTemplate');
    const specs = (props(lt).LaunchTemplateData as JsonObject).TagSpecifications as JsonObject[];

    for (const spec of specs) {
      expect((spec.Tags as JsonObject[]).map((t) => t.Key)).toEqual(
        expect.arrayContaining(['Name', 'Environment', 'Owner', 'CostCenter', 'Project']),
      );
    }
    expect(specs.map((s) => s.ResourceType)).toEqual(['instance', 'volume']);
  });
});

describe('log-stream permissions', () => {
  // A log group's Arn attribute already ends in ":*" (arn:...:log-group:NAME:*), so "${Group.Arn}:log-stream:*"
  // names nothing and the function or service cannot write its logs. Stream ARNs are built from the group name.
  const raw = Object.entries(templates).flatMap(([file, t]) =>
    [...walk(t as unknown as Json)].map((node) => [file, node] as const),
  );
  test.each(
    raw.filter(([, node]) => typeof node['Fn::Sub'] === 'string' && String(node['Fn::Sub']).includes(':log-stream:')),
  )('%s: %j builds the stream ARN from the group name', (_file, node) => {
    expect(String(node['Fn::Sub'])).toMatch(/:log-group:\$\{[A-Za-z0-9]+\}:log-stream:\*$/);
  });
  test('no resource appends to a log group Arn attribute', () => {
    const offenders = raw.filter(
      ([, node]) => /\.Arn\}:/.test(String(node['Fn::Sub'] ?? '')) && /LogGroup/.test(String(node['Fn::Sub'])),
    );
    expect(offenders).toEqual([]);
  });
});
