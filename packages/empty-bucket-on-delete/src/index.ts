import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { AWS_CLIENT_CONFIG, customResourceHandler } from '@strata/custom-resource-runtime';
import { emptyBucketOnDelete } from './resource';

/** Lambda entry point: wires the S3 client once per container; the logic lives in resource.ts and empty.ts. */
export const handler = customResourceHandler(
  emptyBucketOnDelete(new S3Client(AWS_CLIENT_CONFIG), new CloudFormationClient(AWS_CLIENT_CONFIG)),
);
