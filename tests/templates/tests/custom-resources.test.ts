import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject, Resource } from '@strata/cfn-model';
import { environment, list, props, REPO, statements } from './helpers';

const prod = environment('prod');
const customResourcesOf = (env: 'dev' | 'prod') =>
  Object.entries(environment(env).layers).flatMap(([layer, t]) =>
    Object.entries(t.resources)
      .filter(([, r]) => r.Type.startsWith('Custom::'))
      .map(([id, r]) => [layer, id, r, t.resources] as [string, string, Resource, Record<string, Resource>]),
  );
// Every custom resource of prod, and those only dev has.
const customResources = [
  ...customResourcesOf('prod'),
  ...customResourcesOf('dev').filter(([layer, id]) => !prod.layers[layer]?.resources[id]),
];

const deferredId = (v: unknown) => String((v as { deferred?: string } | undefined)?.deferred ?? '').split('.')[0] ?? '';

/** The function behind a custom resource: in its own template, or in an earlier layer whose output it takes. */
function functionOf(r: Resource, all: Record<string, Resource>): [Record<string, Resource>, Resource | undefined] {
  const token = props(r).ServiceToken;
  const placeholder = typeof token === 'string' ? /^<([A-Za-z0-9]+)\.([A-Za-z0-9]+)>$/.exec(token) : null;
  if (!placeholder) return [all, all[deferredId(token)]];
  const layer = prod.layers[placeholder[1] ?? ''];
  const output = layer?.outputs[placeholder[2] ?? ''];
  return [layer?.resources ?? {}, layer?.resources[deferredId(output)]];
}

const inProd = (name: string) => {
  const [layer = '', id = ''] = name.split('.');
  return prod.layers[layer]?.resources[id] !== undefined;
};

const cases = customResources.map(([layer, id, r, all]) => [`${layer}.${id}`, r, all] as const);

describe('Custom resources', () => {
  it('include the default security group lockdown on the VPC', () => {
    const lockdown = customResources.find(([, , r]) => r.Type === 'Custom::DefaultSecurityGroupLockdown');

    expect(lockdown?.[0]).toBe('NetworkStack');
    expect(props(lockdown?.[2]).GroupId).toEqual({ deferred: 'Vpc.DefaultSecurityGroup' });
  });

  it.each(cases)(
    "%s: has a ServiceTimeout and cannot start before its function's log group and permissions exist",
    (_name, r, all) => {
      // Arrange
      const timeout = Number(props(r).ServiceTimeout);
      const dependsOn = list(r.DependsOn as never).map(String);
      const [fnTemplate, fn] = functionOf(r, all);
      const logGroup = deferredId((props(fn).LoggingConfig as JsonObject).LogGroup);
      const policies = Object.entries(all)
        .filter(([, x]) => x.Type === 'AWS::IAM::RolePolicy')
        .map(([id]) => id);
      const role = fnTemplate[deferredId(props(fn).Role)];
      // Permissions inline in the function's role exist before the function, so before this resource.
      const inline = role !== undefined && list(props(role).Policies as never).length > 0;

      // Assert
      expect(timeout).toBeGreaterThan(0);
      expect(timeout).toBeLessThanOrEqual(900);
      // In its own template it waits for the log group; a function from an earlier layer brings its log group
      // along (that layer completed first). Either way it waits for the policy its own template grants.
      if (fnTemplate === all) expect(dependsOn).toContain(logGroup);
      if (!inline) expect(dependsOn.filter((d) => policies.includes(d))).not.toEqual([]);
    },
  );

  it.each(cases)(
    '%s: its function runs nodejs22.x on arm64, logs to an encrypted group with retention, and is never retried by Lambda',
    (_name, r, all) => {
      // Arrange
      const [fnTemplate, fn] = functionOf(r, all);
      const f = props(fn);
      const logGroup = fnTemplate[deferredId((f.LoggingConfig as JsonObject).LogGroup)];

      // Assert
      expect(fn?.Type).toBe('AWS::Serverless::Function');
      expect(f).toEqual(
        expect.objectContaining({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          EventInvokeConfig: { MaximumRetryAttempts: 0 },
        }),
      );
      expect(Number(f.Timeout)).toBeLessThan(Number(props(r).ServiceTimeout));
      expect(props(logGroup)).toEqual(
        expect.objectContaining({
          KmsKeyId: '<SecurityStack.KeyArn>',
          // prod keeps logs 365 days; the dev-only resources' logs 14
          RetentionInDays: inProd(_name) ? 365 : 14,
        }),
      );
    },
  );
});

describe('Function builds', () => {
  const functions = Object.values(prod.layers).flatMap((t) =>
    Object.entries(t.template.Resources).filter(([, r]) => r.Type === 'AWS::Serverless::Function'),
  );

  it('covers the six functions', () => {
    expect(functions.map(([id]) => id).sort()).toEqual([
      'AvailabilityZonesFunction',
      'DefaultSecurityGroupLockdownFunction',
      'DeletionProtectionFunction',
      'EmptyBucketOnDeleteFunction',
      'EngineVersionFunction',
      'TlsVerificationFunction',
    ]);
  });

  it.each(functions)('%s: its package Makefile has the build target sam build calls', (id, fn) => {
    const codeUri = String(fn.Properties?.CodeUri ?? '');
    const makefile = readFileSync(join(REPO, 'nested', codeUri, 'Makefile'), 'utf8');

    expect(fn.Metadata?.BuildMethod).toBe('makefile');
    expect(makefile).toMatch(new RegExp(`^build-${id}:`, 'm'));
  });
});

// Lambda checks a VPC function's network-interface permissions at CreateFunction ("The provided execution
// role does not have permissions to call CreateNetworkInterface on EC2") and deletes the function's ENIs with
// its role after the function is gone
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions). So the
// permissions must come with the role itself (inline Policies or the AWS managed
// AWSLambdaVPCAccessExecutionRole), never a standalone AWS::IAM::RolePolicy that can be created after the
// function and is deleted before its ENIs are released.
describe('VPC functions', () => {
  const ENI_ACTIONS = ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface'];
  const VPC_ACCESS_MANAGED = /:iam::aws:policy\/service-role\/AWSLambdaVPCAccessExecutionRole$/;
  const vpcFunctions = (['dev', 'staging', 'prod'] as const).flatMap((env) =>
    Object.entries(environment(env).layers).flatMap(([layer, t]) =>
      Object.entries(t.resources)
        .filter(([, r]) => ['AWS::Serverless::Function', 'AWS::Lambda::Function'].includes(r.Type))
        .filter(([, r]) => r.Properties?.VpcConfig !== undefined)
        .map(([id, r]) => [`${env} ${layer}.${id}`, r, t.resources] as const),
    ),
  );

  it('exist (the TLS verifier in every environment)', () => {
    expect(vpcFunctions.map(([name]) => name)).toEqual([
      'dev VerifierStack.TlsVerificationFunction',
      'staging VerifierStack.TlsVerificationFunction',
      'prod VerifierStack.TlsVerificationFunction',
    ]);
  });

  it.each(vpcFunctions)('%s: its role itself grants the network-interface actions', (_name, fn, all) => {
    const roleId = deferredId(props(fn).Role);
    const role = all[roleId];
    expect(role?.Type).toBe('AWS::IAM::Role');
    const inline = list(props(role).Policies).flatMap((p) =>
      statements((p as JsonObject).PolicyDocument).filter((s) => s.Effect === 'Allow'),
    );
    const granted = new Set(inline.flatMap((s) => list(s.Action).map(String)));
    const managed = list(props(role).ManagedPolicyArns).some((arn) => VPC_ACCESS_MANAGED.test(String(arn)));

    expect(managed || ENI_ACTIONS.every((a) => granted.has(a))).toBe(true);
  });

  it.each(vpcFunctions)('%s: no standalone policy on its role carries the network-interface actions', (_n, fn, all) => {
    const roleId = deferredId(props(fn).Role);
    const standalone = Object.values(all).filter(
      (r) => r.Type === 'AWS::IAM::RolePolicy' || r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy',
    );
    const onRole = standalone.filter((r) => JSON.stringify(r.Properties ?? {}).includes(roleId));
    const actions = onRole.flatMap((r) =>
      statements(props(r).PolicyDocument).flatMap((s) => list(s.Action).map(String)),
    );

    expect(actions.filter((a) => a.startsWith('ec2:') && a.includes('NetworkInterface'))).toEqual([]);
  });
});
