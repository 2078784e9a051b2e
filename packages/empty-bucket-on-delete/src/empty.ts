import {
  DeleteObjectsCommand,
  GetBucketPolicyCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  PutBucketLoggingCommand,
  PutBucketPolicyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { errorName, type Logger } from '@strata/custom-resource-runtime';
import { BucketKeepsFillingError, ObjectsNotDeletedError } from './errors';

export interface EmptyDeps {
  s3: S3Client;
  logger: Logger;
  signal?: AbortSignal;
  /** How often to list and delete again when objects keep arriving (deliveries already in flight). */
  rounds?: number;
}

export interface EmptyResult {
  /** False when the bucket was already gone: nothing to do. */
  existed: boolean;
  deleted: number;
}

/** The statement added to the bucket policy before emptying: no principal may write any more. */
export const DENY_WRITES_SID = 'StrataDenyWritesWhileDeleting';

/** Every page of ListObjectVersions (the SDK has no paginator for it: it pages by key and version markers). */
async function* versionPages(
  s3: S3Client,
  bucket: string,
  signal?: AbortSignal,
): AsyncGenerator<ListObjectVersionsCommandOutput> {
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        MaxKeys: 1000,
        KeyMarker: keyMarker,
        VersionIdMarker: versionMarker,
      }),
      { abortSignal: signal },
    );
    yield page;
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker !== undefined);
}

/**
 * The bucket policy with a statement that denies s3:PutObject to every principal. Log deliveries (S3 server
 * access logs, ALB access logs, CloudTrail, AWS Config) write with PutObject as service principals, and an
 * explicit Deny in the bucket policy overrides their Allow
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html), so nothing
 * refills the bucket between emptying it and CloudFormation deleting it.
 */
export function denyWritesPolicy(current: string | undefined, bucketArn: string): string {
  const policy = current ? (JSON.parse(current) as { Version?: string; Statement?: unknown }) : {};
  const statements = (
    Array.isArray(policy.Statement) ? policy.Statement : policy.Statement ? [policy.Statement] : []
  ).filter((s) => (s as { Sid?: string }).Sid !== DENY_WRITES_SID);
  statements.push({
    Sid: DENY_WRITES_SID,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:PutObject',
    Resource: `${bucketArn}/*`,
  });
  return JSON.stringify({ Version: policy.Version ?? '2012-10-17', Statement: statements });
}

/**
 * Stops every write to the bucket, turns off its own access logging (deleting objects would otherwise
 * produce log records in the access-log bucket), then deletes every object version and delete marker,
 * listing again until a listing comes back empty. Idempotent; a bucket that does not exist is done.
 */
export async function emptyBucket(bucket: string, bucketArn: string, deps: EmptyDeps): Promise<EmptyResult> {
  const { s3, logger, signal } = deps;
  const rounds = deps.rounds ?? 5;
  let current: string | undefined;
  try {
    current = (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }), { abortSignal: signal })).Policy;
  } catch (error) {
    if (errorName(error) === 'NoSuchBucket') return { existed: false, deleted: 0 };
    if (errorName(error) !== 'NoSuchBucketPolicy') throw error;
  }
  await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: denyWritesPolicy(current, bucketArn) }), {
    abortSignal: signal,
  });
  await s3.send(new PutBucketLoggingCommand({ Bucket: bucket, BucketLoggingStatus: {} }), { abortSignal: signal });

  let deleted = 0;
  for (let round = 0; round < rounds; round += 1) {
    let listed = 0;
    for await (const page of versionPages(s3, bucket, signal)) {
      const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
        .filter((v) => v.Key !== undefined)
        .map((v) => ({ Key: v.Key as string, VersionId: v.VersionId }));
      if (objects.length === 0) continue;
      listed += objects.length;
      const out = await s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
        {
          abortSignal: signal,
        },
      );
      const failures = (out.Errors ?? []).map((e) => ({ key: e.Key ?? '?', code: e.Code ?? '?' }));
      if (failures.length) throw new ObjectsNotDeletedError(bucket, failures);
      deleted += objects.length;
    }
    if (listed === 0) {
      logger.info('bucket emptied', { bucket, deleted, rounds: round + 1 });
      return { existed: true, deleted };
    }
  }
  throw new BucketKeepsFillingError(bucket, rounds);
}
