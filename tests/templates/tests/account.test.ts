import { account, accountSamconfig, props, statements } from './helpers';

const resources = Object.entries(account.Resources);
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);

describe('Account layer: account/template.yaml', () => {
  it('uses no transform, so service-managed StackSets accept it', () => {
    expect((account as { Transform?: unknown }).Transform).toBeUndefined();
    for (const [, r] of resources) expect(r.Type.startsWith('AWS::Serverless::')).toBe(false);
  });

  it('manages the global settings (IAM, S3 account public access block) in the global resources region only', () => {
    const global = resources.filter(([, r]) =>
      ['Custom::IamPasswordPolicy', 'Custom::S3AccountPublicAccessBlock'].includes(r.Type),
    );
    expect(global.map(([id]) => id).sort()).toEqual(['PasswordPolicy', 'S3PublicAccessBlock']);
    for (const [, r] of global) expect(r.Condition).toBe('IsGlobalResourcesRegion');
    // EBS encryption by default is per region: every copy sets it
    expect(ofType('Custom::EbsDefaultEncryption').map(([, r]) => r.Condition)).toEqual([undefined]);
  });

  it.each(ofType('AWS::Lambda::Function'))(
    '%s: answers before its custom resource gives up, logs first, no retries',
    (id, fn) => {
      const timeout = Number(props(fn).Timeout);
      const users = resources.filter(([, r]) => JSON.stringify(props(r).ServiceToken ?? '').includes(id));
      expect(users).toHaveLength(1);
      const [, resource] = users[0] ?? ['', fn];
      expect(Number(props(resource).ServiceTimeout)).toBeGreaterThan(timeout);
      const base = id.replace(/Function$/, '');
      expect(resource.DependsOn).toEqual(expect.arrayContaining([`${base}LogGroup`, `${base}InvokeConfig`]));
      expect(props(account.Resources[`${base}InvokeConfig`]).MaximumRetryAttempts).toBe(0);
      expect(props(fn).Runtime).toBe('nodejs22.x');
      expect(props(fn).Architectures).toEqual(['arm64']);
    },
  );

  it.each(ofType('AWS::IAM::Role').filter(([id]) => id !== 'GuardHookRole'))(
    '%s: reads the status of its own stack only (RestoreOnDelete: on-rollback)',
    (_id, role) => {
      const policies = (props(role).Policies ?? []) as { PolicyDocument: unknown }[];
      const reads = policies
        .flatMap((p) => statements(p.PolicyDocument as never))
        .filter((s) => JSON.stringify(s.Action).includes('cloudformation:'));
      expect(reads).toHaveLength(1);
      expect(reads[0]?.Action).toBe('cloudformation:DescribeStacks');
      expect(reads[0]?.Resource).toEqual({ Ref: 'AWS::StackId' });
    },
  );

  it('keeps the key that encrypts volumes by default when the stack is deleted, not after a failed first create', () => {
    const [, key] = ofType('AWS::KMS::Key')[0] ?? [];
    expect(key?.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(props(key).EnableKeyRotation).toBe(true);
  });

  it('never lets the Guard hook evaluate a delete, so no rule can stop a rollback or a teardown', () => {
    const [, hook] = ofType('AWS::CloudFormation::GuardHook')[0] ?? [];
    expect(props(hook).TargetFilters).toMatchObject({ Actions: ['CREATE', 'UPDATE'] });
    expect(account.Parameters?.GuardHookMode?.Default).toBe('WARN');
  });
});

describe('samconfig.toml: the account layer', () => {
  it('defines account (real accounts, confirms its change set) and account-local', () => {
    expect(Object.keys(accountSamconfig).sort()).toEqual(['account', 'account-local']);
    expect(accountSamconfig.account?.confirmChangeset).toBe(true);
  });

  it.each(Object.values(accountSamconfig))(
    '$env: tags Owner, CostCenter and Project, and needs no transform capability',
    (c) => {
      expect(Object.keys(c.tags).sort()).toEqual(['CostCenter', 'Owner', 'Project']);
      expect(c.capabilities).toEqual(['CAPABILITY_NAMED_IAM']);
    },
  );
});
