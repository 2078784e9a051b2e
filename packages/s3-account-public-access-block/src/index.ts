import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { AWS_CLIENT_CONFIG, customResourceHandler } from '@strata/custom-resource-runtime';
import { s3AccountPublicAccessBlock } from './resource';

/** Lambda entry point: wires the clients once per container; the logic lives in resource.ts and block.ts. */
export const handler = customResourceHandler(
  s3AccountPublicAccessBlock(new S3ControlClient(AWS_CLIENT_CONFIG), new CloudFormationClient(AWS_CLIENT_CONFIG)),
);
