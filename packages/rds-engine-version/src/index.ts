import { RDSClient } from '@aws-sdk/client-rds';
import { AWS_CLIENT_CONFIG, customResourceHandler } from '@strata/custom-resource-runtime';
import { rdsEngineVersion } from './resource';

/** Lambda entry point: wires the RDS client once per container; the logic lives in versions.ts. */
export const handler = customResourceHandler(rdsEngineVersion(new RDSClient(AWS_CLIENT_CONFIG)));
