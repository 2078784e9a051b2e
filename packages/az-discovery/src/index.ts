import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { AWS_CLIENT_CONFIG, customResourceHandler } from '@strata/custom-resource-runtime';
import { availabilityZones } from './resource';

/** Lambda entry point: wires the clients once per container; the logic lives in discovery.ts. */
export const handler = customResourceHandler(
  availabilityZones({ ec2: new EC2Client(AWS_CLIENT_CONFIG), rds: new RDSClient(AWS_CLIENT_CONFIG) }),
);
