import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { AWS_CLIENT_CONFIG, customResourceHandler } from '@strata/custom-resource-runtime';
import { ebsDefaultEncryption } from './resource';

/** Lambda entry point: wires the clients once per container; the logic lives in resource.ts and defaults.ts. */
export const handler = customResourceHandler(
  ebsDefaultEncryption(new EC2Client(AWS_CLIENT_CONFIG), new CloudFormationClient(AWS_CLIENT_CONFIG)),
);
