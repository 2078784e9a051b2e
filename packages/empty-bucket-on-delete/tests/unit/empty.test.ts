import { CloudFormationClient, DescribeStacksCommand, type StackStatus } from '@aws-sdk/client-cloudformation';
import {
  DeleteObjectsCommand,
  GetBucketPolicyCommand,
  ListObjectVersionsCommand,
  PutBucketLoggingCommand,
  PutBucketPolicyCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { customResourceHandler, type Put } from '@strata/custom-resource-runtime';
import { silentLogger } from '@strata/test-support';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DENY_WRITES_SID, denyWritesPolicy, emptyBucket } from '../../src/empty';
import { BucketKeepsFillingError, ObjectsNotDeletedError } from '../../src/errors';
import { emptyBucketOnDelete } from '../../src/resource';

const s3Mock = mockClient(S3Client);
const cfnMock = mockClient(CloudFormationClient);
const logger = silentLogger;
const BUCKET = 'strata-dev-alb-logs-123456789012';
const ARN = `arn:aws:s3:::${BUCKET}`;
const deps = () => ({ s3: new S3Client({}), logger });
const error = (name: string) => Object.assign(new Error(name), { name });
const TLS_ONLY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [ARN, `${ARN}/*`] }],
});

beforeEach(() => {
  s3Mock.reset();
  cfnMock.reset();
  s3Mock.on(GetBucketPolicyCommand).resolves({ Policy: TLS_ONLY });
  s3Mock.on(DeleteObjectsCommand).resolves({});
});

describe('Function: denyWritesPolicy', () => {
  it('keeps every statement of the bucket policy and adds one deny of s3:PutObject for every principal', () => {
    const policy = JSON.parse(denyWritesPolicy(TLS_ONLY, ARN));

    expect(policy.Statement).toEqual([
      JSON.parse(TLS_ONLY).Statement[0],
      { Sid: DENY_WRITES_SID, Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `${ARN}/*` },
    ]);
  });

  it('adds the statement once however often it runs, and builds a policy when the bucket has none', () => {
    const twice = JSON.parse(denyWritesPolicy(denyWritesPolicy(TLS_ONLY, ARN), ARN));

    expect(twice.Statement.filter((s: { Sid?: string }) => s.Sid === DENY_WRITES_SID)).toHaveLength(1);
    expect(JSON.parse(denyWritesPolicy(undefined, ARN)).Statement).toHaveLength(1);
  });
});

describe('Function: emptyBucket', () => {
  it('denies writes and turns logging off before deleting every version and delete marker, page by page', async () => {
    // Arrange
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [{ Key: 'a', VersionId: '1' }],
        DeleteMarkers: [{ Key: 'a', VersionId: '2' }],
        IsTruncated: true,
        NextKeyMarker: 'a',
        NextVersionIdMarker: '2',
      })
      .resolvesOnce({ Versions: [{ Key: 'b', VersionId: '3' }], IsTruncated: false })
      .resolves({ IsTruncated: false });

    // Act
    const result = await emptyBucket(BUCKET, ARN, deps());

    // Assert
    expect(result).toEqual({ existed: true, deleted: 3 });
    expect(s3Mock).toHaveReceivedCommandWith(PutBucketPolicyCommand, { Bucket: BUCKET });
    expect(s3Mock).toHaveReceivedCommandWith(PutBucketLoggingCommand, { Bucket: BUCKET, BucketLoggingStatus: {} });
    expect(s3Mock.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input)).toEqual([
      {
        Bucket: BUCKET,
        Delete: {
          Objects: [
            { Key: 'a', VersionId: '1' },
            { Key: 'a', VersionId: '2' },
          ],
          Quiet: true,
        },
      },
      { Bucket: BUCKET, Delete: { Objects: [{ Key: 'b', VersionId: '3' }], Quiet: true } },
    ]);
    expect(s3Mock).toHaveReceivedCommandWith(ListObjectVersionsCommand, {
      Bucket: BUCKET,
      KeyMarker: 'a',
      VersionIdMarker: '2',
    });
    const order = s3Mock.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf('PutBucketPolicyCommand')).toBeLessThan(order.indexOf('DeleteObjectsCommand'));
  });

  it('lists again when a delivery already in flight landed meanwhile', async () => {
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({ Versions: [{ Key: 'a', VersionId: '1' }] })
      .resolvesOnce({ Versions: [{ Key: 'late', VersionId: '9' }] })
      .resolves({});

    expect(await emptyBucket(BUCKET, ARN, deps())).toEqual({ existed: true, deleted: 2 });
  });

  it('is done at once when the bucket is already gone', async () => {
    s3Mock.on(GetBucketPolicyCommand).rejects(error('NoSuchBucket'));

    expect(await emptyBucket(BUCKET, ARN, deps())).toEqual({ existed: false, deleted: 0 });
    expect(s3Mock).not.toHaveReceivedCommand(PutBucketPolicyCommand);
  });

  it('writes a policy of its own when the bucket has none', async () => {
    s3Mock.on(GetBucketPolicyCommand).rejects(error('NoSuchBucketPolicy'));
    s3Mock.on(ListObjectVersionsCommand).resolves({});

    await emptyBucket(BUCKET, ARN, deps());

    const policy = JSON.parse(String(s3Mock.commandCalls(PutBucketPolicyCommand)[0]?.args[0].input.Policy));
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([DENY_WRITES_SID]);
  });

  it('fails naming the bucket and the versions S3 would not delete', async () => {
    s3Mock.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'locked', VersionId: '1' }] });
    s3Mock.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'locked', Code: 'AccessDenied' }] });

    const attempt = emptyBucket(BUCKET, ARN, deps());
    await expect(attempt).rejects.toThrow(ObjectsNotDeletedError);
    await expect(attempt).rejects.toThrow(
      `BucketName ${BUCKET}: 1 object version(s) could not be deleted: locked (AccessDenied)`,
    );
  });

  it('gives up after its rounds when something keeps writing', async () => {
    s3Mock.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'again', VersionId: '1' }] });

    await expect(emptyBucket(BUCKET, ARN, { ...deps(), rounds: 3 })).rejects.toThrow(BucketKeepsFillingError);
  });
});

describe('Function: handler (Custom::EmptyBucketOnDelete)', () => {
  const sent: string[] = [];
  const put: Put = async (_u, body) => {
    sent.push(body);
    return 200;
  };
  const event = (type: string, physicalId?: string, bucket = BUCKET, when?: string) => ({
    RequestType: type,
    ResponseURL: 'https://example.invalid/r?sig',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/strata-dev-StorageStack/x',
    RequestId: 'r1',
    LogicalResourceId: 'AlbLogsBucketEmptyOnDelete',
    ResourceType: 'Custom::EmptyBucketOnDelete',
    ResourceProperties: { ServiceToken: 'arn', BucketName: bucket, ...(when ? { When: when } : {}) },
    ...(physicalId ? { PhysicalResourceId: physicalId } : {}),
  });
  const run = async (ev: unknown) => {
    sent.splice(0);
    await customResourceHandler(emptyBucketOnDelete(new S3Client({}), new CloudFormationClient({})), { put, logger })(
      ev,
      {
        getRemainingTimeInMillis: () => 60_000,
      },
    );
    expect(sent).toHaveLength(1);
    return JSON.parse(sent[0] ?? '') as { Status: string; Reason?: string; PhysicalResourceId: string };
  };

  it('records the bucket on Create and touches nothing', async () => {
    expect(await run(event('Create'))).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: `empty-on-delete-${BUCKET}`,
    });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('empties the bucket on Delete and answers SUCCESS once', async () => {
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({ Versions: [{ Key: 'a', VersionId: '1' }] })
      .resolves({});

    expect((await run(event('Delete', `empty-on-delete-${BUCKET}`))).Status).toBe('SUCCESS');
    expect(s3Mock).toHaveReceivedCommandTimes(DeleteObjectsCommand, 1);
  });

  describe('when the bucket is retained (When: on-rollback)', () => {
    const NESTED = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/strata-dev-StorageStack/x';
    const ROOT = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/strata-prod/r';
    const world = (rootStatus: StackStatus) => {
      cfnMock.reset();
      cfnMock.on(DescribeStacksCommand, { StackName: NESTED }).resolves({
        Stacks: [{ StackName: 'n', StackStatus: 'DELETE_IN_PROGRESS', RootId: ROOT, CreationTime: new Date() }],
      });
      cfnMock
        .on(DescribeStacksCommand, { StackName: ROOT })
        .resolves({ Stacks: [{ StackName: 'strata-prod', StackStatus: rootStatus, CreationTime: new Date() }] });
      s3Mock
        .on(ListObjectVersionsCommand)
        .resolvesOnce({ Versions: [{ Key: 'a', VersionId: '1' }] })
        .resolves({});
    };

    it('empties it when the create that made it rolls back (the bucket is then deleted)', async () => {
      world('ROLLBACK_IN_PROGRESS');

      expect((await run(event('Delete', `empty-on-delete-${BUCKET}`, BUCKET, 'on-rollback'))).Status).toBe('SUCCESS');
      expect(s3Mock).toHaveReceivedCommandTimes(DeleteObjectsCommand, 1);
    });

    it('leaves its data alone on a stack delete (the bucket is retained)', async () => {
      world('DELETE_IN_PROGRESS');

      expect((await run(event('Delete', `empty-on-delete-${BUCKET}`, BUCKET, 'on-rollback'))).Status).toBe('SUCCESS');
      expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectsCommand);
      expect(s3Mock).not.toHaveReceivedCommand(PutBucketPolicyCommand);
    });
  });

  it('refuses a BucketName S3 would refuse, naming the property', async () => {
    const answer = await run(event('Create', undefined, 'Not_A_Bucket'));

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('BucketName');
  });
});
