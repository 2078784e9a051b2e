import type { Json, JsonObject } from '@strata/cfn-model';
import { environment, list, ofType, props, resourcesOf, statements } from './helpers';

const dev = environment('dev');
const prod = environment('prod');

describe('Layer: security', () => {
  const r = resourcesOf(prod, 'security');

  it('has one customer-managed key with rotation on', () => {
    const keys = ofType(r, 'AWS::KMS::Key');

    expect(keys).toHaveLength(1);
    expect(props(keys[0]?.[1]).EnableKeyRotation).toBe(true);
  });

  it('grants every AWS service principal in the key policy only under a source or encryption-context condition', () => {
    // Arrange
    const policy = props(r.Key).KeyPolicy;
    const services = statements(policy).filter((s) => (s.Principal as JsonObject | undefined)?.Service !== undefined);

    // Assert
    expect(services.map((s) => JSON.stringify((s.Principal as JsonObject).Service)).sort()).toEqual(
      ['"cloudwatch.amazonaws.com"', '"events.rds.amazonaws.com"', '"logs.eu-west-1.amazonaws.com"'].sort(),
    );
    for (const s of services) {
      const condition = JSON.stringify(s.Condition ?? {});
      expect({ sid: s.Sid, guarded: /aws:SourceAccount|aws:SourceArn|kms:EncryptionContext/.test(condition) }).toEqual({
        sid: s.Sid,
        guarded: true,
      });
      expect(list(s.Action).some((a) => a === '*' || a === 'kms:*')).toBe(false);
    }
  });

  it('keeps the key when data is retained (prod) and schedules deletion in dev', () => {
    expect(r.Key?.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(resourcesOf(dev, 'security').Key?.DeletionPolicy).toBe('Delete');
  });

  it('encrypts the alarm topic with the key and denies publishing without TLS', () => {
    expect(props(r.AlarmTopic).KmsMasterKeyId).toEqual({ deferred: 'Key.Arn' });
    const deny = statements(props(r.AlarmTopicPolicy).PolicyDocument).find((s) => s.Effect === 'Deny');
    expect(deny?.Condition).toEqual({ Bool: { 'aws:SecureTransport': false } });
  });
});

describe('Layer: storage', () => {
  const r = resourcesOf(prod, 'storage');
  const buckets = ofType(r, 'AWS::S3::Bucket');
  const policies = ofType(r, 'AWS::S3::BucketPolicy');

  it("has the environment's two log buckets (the trail and AWS Config deliver to the account layer's)", () => {
    expect(buckets.map(([id]) => id).sort()).toEqual(['AccessLogsBucket', 'AlbLogsBucket']);
  });

  it.each(buckets)('%s blocks public access (all four), enforces bucket ownership and versions objects', (_id, b) => {
    const p = props(b);

    expect(p.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(p.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(p.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it.each(buckets)('%s aborts incomplete uploads and expires old versions', (_id, b) => {
    const rules = list((props(b).LifecycleConfiguration as JsonObject).Rules) as JsonObject[];

    expect(rules.some((x) => x.AbortIncompleteMultipartUpload !== undefined)).toBe(true);
    expect(rules.some((x) => x.NoncurrentVersionExpiration !== undefined)).toBe(true);
  });

  it('encrypts the log-delivery targets with SSE-S3 (the only option AWS allows there)', () => {
    const algorithm = (id: string) =>
      (((props(r[id]).BucketEncryption as JsonObject).ServerSideEncryptionConfiguration as Json[])[0] as JsonObject)
        .ServerSideEncryptionByDefault as JsonObject;

    expect(algorithm('AlbLogsBucket')).toEqual({ SSEAlgorithm: 'AES256' });
    expect(algorithm('AccessLogsBucket')).toEqual({ SSEAlgorithm: 'AES256' });
  });

  it('gives every bucket a policy that denies requests without TLS', () => {
    const covered = policies.filter(([, p]) =>
      statements(props(p).PolicyDocument).some(
        (s) =>
          s.Effect === 'Deny' &&
          JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': false } }),
      ),
    );

    expect(covered.map(([, p]) => JSON.stringify(props(p).Bucket)).sort()).toEqual(
      buckets.map(([id]) => JSON.stringify({ deferred: id })).sort(),
    );
  });

  it('logs every bucket but the access-log target itself to the access-log bucket', () => {
    for (const [id, b] of buckets) {
      if (id === 'AccessLogsBucket') continue;
      expect((props(b).LoggingConfiguration as JsonObject).DestinationBucketName).toEqual({
        deferred: 'AccessLogsBucket',
      });
    }
  });

  it('retains the buckets in prod and deletes them in dev', () => {
    for (const [, b] of buckets) expect(b.DeletionPolicy).toBe('RetainExceptOnCreate');
    for (const [, b] of ofType(resourcesOf(dev, 'storage'), 'AWS::S3::Bucket')) expect(b.DeletionPolicy).toBe('Delete');
  });

  it("expires log objects after the environment's retention", () => {
    const days = (e: typeof dev) =>
      (
        list(
          (props(resourcesOf(e, 'storage').AlbLogsBucket).LifecycleConfiguration as JsonObject).Rules,
        )[0] as JsonObject
      ).ExpirationInDays;

    expect(days(dev)).toBe(14);
    expect(days(prod)).toBe(365);
  });
});

// CloudFormation cannot delete a bucket that holds any object version ("BucketNotEmpty"), and log buckets
// fill within minutes: each bucket has a Custom::EmptyBucketOnDelete that empties it when CloudFormation is
// about to delete it: always in dev, and in staging/prod (retained buckets) only on the rollback of the create.
describe('Layer: storage, buckets emptied before CloudFormation deletes them', () => {
  it.each([
    ['dev', 'always'],
    ['staging', 'on-rollback'],
    ['prod', 'on-rollback'],
  ] as const)('%s: every bucket has an emptier (When: %s) that runs before its policy goes', (env, when) => {
    const r = resourcesOf(environment(env), 'storage');
    const buckets = ofType(r, 'AWS::S3::Bucket').map(([id]) => id);
    const emptiers = ofType(r, 'Custom::EmptyBucketOnDelete');

    expect(buckets).toHaveLength(2);
    expect(emptiers.map(([, e]) => (props(e).BucketName as { deferred: string }).deferred).sort()).toEqual(
      [...buckets].sort(),
    );
    for (const [, e] of emptiers) {
      const bucket = (props(e).BucketName as { deferred: string }).deferred;
      expect(list(e.DependsOn as Json)).toEqual(expect.arrayContaining([`${bucket}Policy`]));
      expect(props(e).ServiceToken).toEqual({ deferred: 'EmptyBucketOnDeleteFunction.Arn' });
      expect(props(e).When).toBe(when);
    }
  });

  it('the emptier may touch only these buckets and their objects, and read stack statuses', () => {
    const r = resourcesOf(environment('prod'), 'storage');
    const buckets = ofType(r, 'AWS::S3::Bucket').map(([id]) => id);
    const attached = ofType(r, 'AWS::IAM::RolePolicy').filter(
      ([, p]) => JSON.stringify(props(p).RoleName) === JSON.stringify({ deferred: 'EmptyBucketOnDeleteRole' }),
    );
    expect(attached.map(([id]) => id)).toEqual(['EmptyBucketOnDeleteAlbLogsBucketAccess']);
    const granted = [
      ...list(props(r.EmptyBucketOnDeleteRole).Policies).map((p) => (p as JsonObject).PolicyDocument),
      ...attached.map(([, p]) => props(p).PolicyDocument),
    ].flatMap((d) => statements(d));
    const s3 = granted.filter((s) => list(s.Action).some((a) => String(a).startsWith('s3:')));
    const resources = s3.flatMap((s) => list(s.Resource).map((x) => JSON.stringify(x)));

    expect(resources.length).toBeGreaterThan(0);
    for (const res of resources) expect(buckets.some((b) => res.includes(b))).toBe(true);
    for (const bucket of buckets) {
      const onBucket = s3.filter((s) => list(s.Resource).some((x) => JSON.stringify(x).includes(bucket)));
      expect([bucket, onBucket.flatMap((s) => list(s.Action).map(String)).sort()]).toEqual([
        bucket,
        [
          's3:DeleteObject',
          's3:DeleteObjectVersion',
          's3:GetBucketPolicy',
          's3:ListBucketVersions',
          's3:PutBucketLogging',
          's3:PutBucketPolicy',
        ],
      ]);
    }
    const other = granted.flatMap((s) => list(s.Action).map(String)).filter((a) => !a.startsWith('s3:'));
    expect(other.sort()).toEqual(['cloudformation:DescribeStacks', 'logs:CreateLogStream', 'logs:PutLogEvents']);
  });
});
