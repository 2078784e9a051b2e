import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject, Resource } from '@strata/cfn-model';
import { environment, list, props, REPO } from './helpers';

const prod = environment('prod');
const customResources: [string, string, Resource, Record<string, Resource>][] = Object.entries(prod.layers).flatMap(
  ([layer, t]) =>
    Object.entries(t.resources)
      .filter(([, r]) => r.Type.startsWith('Custom::'))
      .map(([id, r]) => [layer, id, r, t.resources] as [string, string, Resource, Record<string, Resource>]),
);

const deferredId = (v: unknown) => String((v as { deferred?: string } | undefined)?.deferred ?? '').split('.')[0] ?? '';

describe('Custom resources', () => {
  it('include the default security group lockdown on the VPC', () => {
    const lockdown = customResources.find(([, , r]) => r.Type === 'Custom::DefaultSecurityGroupLockdown');

    expect(lockdown?.[0]).toBe('NetworkStack');
    expect(props(lockdown?.[2]).GroupId).toEqual({ deferred: 'Vpc.DefaultSecurityGroup' });
  });

  it.each(customResources.map(([layer, id, r, all]) => [`${layer}.${id}`, r, all] as const))(
    "%s: has a ServiceTimeout and waits for its function's log group and policy",
    (_name, r, all) => {
      const timeout = Number(props(r).ServiceTimeout);
      const dependsOn = list(r.DependsOn as never).map(String);

      expect(timeout).toBeGreaterThan(0);
      expect(timeout).toBeLessThanOrEqual(900);
      expect(dependsOn.map((d) => all[d]?.Type)).toEqual(
        expect.arrayContaining(['AWS::IAM::RolePolicy', 'AWS::Logs::LogGroup']),
      );
      const fn = all[deferredId(props(r).ServiceToken)];
      const logGroup = deferredId((props(fn).LoggingConfig as JsonObject).LogGroup);
      const policy = Object.entries(all).find(
        ([, x]) =>
          x.Type === 'AWS::IAM::RolePolicy' &&
          JSON.stringify(props(x).RoleName) === JSON.stringify({ deferred: deferredId(props(fn).Role) }),
      )?.[0];
      expect(dependsOn).toEqual(expect.arrayContaining([logGroup, policy]));
    },
  );

  it.each(customResources.map(([layer, id, r, all]) => [`${layer}.${id}`, r, all] as const))(
    '%s: its function runs nodejs22.x on arm64, logs to an encrypted group with retention, and is never retried by Lambda',
    (_name, r, all) => {
      // Arrange
      const fn = all[deferredId(props(r).ServiceToken)];
      const f = props(fn);
      const logGroup = all[deferredId((f.LoggingConfig as JsonObject).LogGroup)];

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
        expect.objectContaining({ KmsKeyId: '<SecurityStack.KeyArn>', RetentionInDays: 365 }),
      );
    },
  );
});

describe('Function builds', () => {
  const functions = Object.values(environment('prod').layers).flatMap((t) =>
    Object.entries(t.template.Resources).filter(([, r]) => r.Type === 'AWS::Serverless::Function'),
  );

  it.each(functions)('%s: its package Makefile has the build target sam build calls', (id, fn) => {
    const codeUri = String(fn.Properties?.CodeUri ?? '');
    const makefile = readFileSync(join(REPO, 'nested', codeUri, 'Makefile'), 'utf8');

    expect(fn.Metadata?.BuildMethod).toBe('makefile');
    expect(makefile).toMatch(new RegExp(`^build-${id}:`, 'm'));
  });
});
