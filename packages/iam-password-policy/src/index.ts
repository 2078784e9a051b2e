import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { IAMClient } from '@aws-sdk/client-iam';
import { AWS_CLIENT_CONFIG, customResourceHandler } from '@strata/custom-resource-runtime';
import { iamPasswordPolicy } from './resource';

/** Lambda entry point: wires the clients once per container; the logic lives in resource.ts and policy.ts. */
export const handler = customResourceHandler(
  iamPasswordPolicy(new IAMClient(AWS_CLIENT_CONFIG), new CloudFormationClient(AWS_CLIENT_CONFIG)),
);
