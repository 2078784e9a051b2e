import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketPolicyCommand,
  HeadBucketCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { type MotoServer, silentLogger, startMotoServer } from '@strata/test-support';
import { DENY_WRITES_SID, emptyBucket } from '../../src/empty';

let cloud: MotoServer;
let s3: S3Client;

beforeAll(async () => {
  cloud = await startMotoServer();
  s3 = new S3Client({ ...cloud.clientConfig, forcePathStyle: true });
}, 40_000);
afterAll(async () => {
  s3?.destroy();
  await cloud?.stop();
});

describe('Integration: emptying a versioned bucket in the local cloud over HTTP', () => {
  it('removes every version and delete marker so the bucket can be deleted', async () => {
    // Arrange: a versioned bucket with two versions of one key and a delete marker (S3 refuses to delete it).
    const bucket = 'strata-test-empty-on-delete';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    for (const body of ['one', 'two']) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: body }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'other', Body: 'x' }));
    await expect(s3.send(new DeleteBucketCommand({ Bucket: bucket }))).rejects.toMatchObject({
      name: 'BucketNotEmpty',
    });

    // Act
    const result = await emptyBucket(bucket, `arn:aws:s3:::${bucket}`, { s3, logger: silentLogger });

    // Assert
    expect(result).toEqual({ existed: true, deleted: 3 });
    const left = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect([...(left.Versions ?? []), ...(left.DeleteMarkers ?? [])]).toEqual([]);
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy).toContain(DENY_WRITES_SID);
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toBeDefined();
  });

  it('is done when the bucket does not exist', async () => {
    expect(
      await emptyBucket('strata-test-no-such-bucket', 'arn:aws:s3:::strata-test-no-such-bucket', {
        s3,
        logger: silentLogger,
      }),
    ).toEqual({
      existed: false,
      deleted: 0,
    });
  });
});
