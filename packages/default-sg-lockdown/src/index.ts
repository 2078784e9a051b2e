import { EC2Client } from '@aws-sdk/client-ec2';
import { AWS_CLIENT_CONFIG, customResourceHandler } from '@strata/custom-resource-runtime';
import { defaultSecurityGroupLockdown } from './resource';

/** Lambda entry point: wires the EC2 client once per container; the logic lives in resource.ts. */
export const handler = customResourceHandler(defaultSecurityGroupLockdown(new EC2Client(AWS_CLIENT_CONFIG)));
