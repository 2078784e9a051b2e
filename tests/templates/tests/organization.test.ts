import { join } from 'node:path';
import { DEFAULT_TARGET, loadTemplate, resolveTemplate } from '@strata/cfn-model';
import { props, REPO, statements } from './helpers';

const stackSet = loadTemplate(join(REPO, 'org', 'stackset.yaml'));
const artifacts = loadTemplate(join(REPO, 'org', 'artifacts.yaml'));
const given = {
  OrganizationalUnitIds: 'ou-ab12-cdef3456',
  Regions: 'eu-west-1,us-east-1',
  GlobalResourcesRegion: 'eu-west-1',
  AccountTemplateUrl:
    'https://strata-org-artifacts-111122223333-eu-west-1.s3.eu-west-1.amazonaws.com/strata-account/a.json',
  AlarmEmail: 'security@example.com',
};
const resolved = resolveTemplate(stackSet, given, { target: { ...DEFAULT_TARGET, region: 'eu-west-1' } });

describe('Organization rollout: org/stackset.yaml', () => {
  it('is plain CloudFormation with one service-managed StackSet that follows accounts into and out of the OUs', () => {
    expect((stackSet as { Transform?: unknown }).Transform).toBeUndefined();
    const p = props(resolved.resources.AccountLayer);
    expect(p.PermissionModel).toBe('SERVICE_MANAGED');
    expect(p.AutoDeployment).toEqual({ Enabled: true, RetainStacksOnAccountRemoval: false });
    expect(p.ManagedExecution).toEqual({ Active: true });
    expect(p.Capabilities).toEqual(['CAPABILITY_NAMED_IAM']);
    expect(p.StackInstancesGroup).toEqual([
      { DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdef3456'] }, Regions: ['eu-west-1', 'us-east-1'] },
    ]);
  });

  it('deploys region by region, the global resources region first, stopping at the first failed account by default', () => {
    expect(props(resolved.resources.AccountLayer).OperationPreferences).toEqual({
      RegionConcurrencyType: 'SEQUENTIAL',
      RegionOrder: ['eu-west-1', 'us-east-1'],
      MaxConcurrentPercentage: 25,
      FailureTolerancePercentage: 0,
    });
    const wrongOrder = resolveTemplate(stackSet, { ...given, Regions: 'us-east-1,eu-west-1' });
    expect(wrongOrder.ruleViolations.map((v) => v.rule)).toEqual(['GlobalResourcesRegionFirst']);
    expect(wrongOrder.ruleViolations[0]?.description).toContain('Regions must start with GlobalResourcesRegion');
  });

  it("gives every stack instance the account layer's global resources region and alarm subscriber", () => {
    const parameters = props(resolved.resources.AccountLayer).Parameters as {
      ParameterKey: string;
      ParameterValue: unknown;
    }[];
    expect(Object.fromEntries(parameters.map((x) => [x.ParameterKey, x.ParameterValue]))).toEqual(
      expect.objectContaining({
        GlobalResourcesRegion: 'eu-west-1',
        AlarmEmail: 'security@example.com',
        GuardHookMode: 'WARN',
      }),
    );
  });
});

describe('Organization rollout: org/artifacts.yaml', () => {
  const copy = resolveTemplate(
    artifacts,
    { OrganizationId: 'o-a1b2c3d4e5' },
    { target: { ...DEFAULT_TARGET, region: 'us-east-1' } },
  );

  it("names the bucket by account and region, where each region's stack instances read their function code", () => {
    expect(props(copy.resources.ArtifactsBucket).BucketName).toBe('strata-org-artifacts-123456789012-us-east-1');
  });

  it('lets the accounts of this organization read, and nobody write or read without TLS', () => {
    const policy = statements(props(copy.resources.ArtifactsBucketPolicy).PolicyDocument);
    const allows = policy.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]?.Action).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(allows[0]?.Condition).toEqual({ StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } });
    expect(policy.find((s) => s.Effect === 'Deny')?.Condition).toEqual({ Bool: { 'aws:SecureTransport': false } });
    expect(props(copy.resources.ArtifactsBucket).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });
});
