import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type CustomResource,
  cfn,
  type InvocationContext,
  isRollbackOfCreate,
  stackScope,
} from '@strata/custom-resource-runtime';
import * as z from 'zod/mini';
import { emptyBucket } from './empty';

// S3 bucket naming rules: 3-63 characters, lower-case letters, digits, dots and hyphens, starting and ending
// with a letter or digit (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
export const properties = z.strictObject({
  BucketName: cfn.pattern(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'must be an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens): pass !Ref <Bucket>',
  ),
  // always: the bucket is deleted with the stack (DeletionPolicy Delete), so empty it on every Delete.
  // on-rollback: the bucket is retained (RetainExceptOnCreate) except when the operation that created it rolls
  // back; only then does CloudFormation delete it, and only then is it emptied (logs delivered during a failed
  // first create would otherwise make that delete fail with BucketNotEmpty, ROLLBACK_FAILED).
  When: z.optional(z.enum(['always', 'on-rollback'], { error: 'must be always or on-rollback' })),
});
export type Properties = z.infer<typeof properties>;
export type Data = { BucketName: string };

/**
 * Custom::EmptyBucketOnDelete. Create and Update only record the bucket; Delete empties it so that
 * CloudFormation's delete of the bucket that follows succeeds: on every Delete (When: always, for a bucket
 * deleted with the stack), or only on the rollback of the operation that created it (When: on-rollback, for a
 * retained bucket, whose data a stack delete keeps).
 */
export function emptyBucketOnDelete(s3: S3Client, cfnClient: CloudFormationClient): CustomResource<Properties, Data> {
  const record = async (p: Properties) => ({
    physicalResourceId: `empty-on-delete-${p.BucketName}`,
    data: { BucketName: p.BucketName },
  });
  return {
    name: 'EmptyBucketOnDelete',
    properties,
    create: (p) => record(p),
    update: (p) => record(p),
    delete: async (p: Properties | undefined, ctx: InvocationContext) => {
      if (!p) return; // a Delete whose properties do not validate followed a failed Create: nothing to empty
      if (p.When === 'on-rollback' && !(await isRollbackOfCreate(cfnClient, ctx.event.StackId, ctx.signal))) {
        ctx.logger.info('bucket retained: left as it is', { bucket: p.BucketName });
        return;
      }
      ctx.phase(`emptying ${p.BucketName}`);
      const arn = `arn:${stackScope(ctx.event.StackId).partition}:s3:::${p.BucketName}`;
      await emptyBucket(p.BucketName, arn, { s3, logger: ctx.logger, signal: ctx.signal });
    },
  };
}
