import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { RDSClient } from '@aws-sdk/client-rds';
import { AWS_CLIENT_CONFIG, customResourceHandler } from '@strata/custom-resource-runtime';
import { deletionProtection } from './resource';

/** Lambda entry point: wires the clients once per container; the logic lives in resource.ts and protect.ts. */
export const handler = customResourceHandler(
  deletionProtection(new ElasticLoadBalancingV2Client(AWS_CLIENT_CONFIG), new RDSClient(AWS_CLIENT_CONFIG)),
);
