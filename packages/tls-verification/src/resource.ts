import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  type CustomResource,
  cfn,
  type InvocationContext,
  PropertyValidationError,
} from '@strata/custom-resource-runtime';
import * as z from 'zod/mini';
import type { CheckResult } from './checks';
import { verify } from './verify';

export const properties = z.strictObject({
  DbEndpoint: cfn.pattern(/^[a-z0-9.-]+$/i, 'must be the database endpoint host name'),
  DbPort: cfn.integer(1, 65535),
  DbParameterGroupName: cfn.pattern(/^[a-zA-Z][a-zA-Z0-9-]*$/, 'must name the DB parameter group'),
  DbSecretArn: z.optional(
    z.pipe(
      cfn.pattern(
        /^$|^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/,
        'must be empty or a Secrets Manager secret ARN',
      ),
      z.transform((v: string) => v || undefined),
    ),
  ),
  AlbDnsName: cfn.pattern(/^[a-z0-9.-]+$/i, 'must be the load balancer DNS name'),
  HttpsEnabled: cfn.boolean(),
  CertificateArn: z.optional(
    z.pipe(
      cfn.pattern(
        /^$|^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/.+$/,
        'must be empty or an ACM certificate ARN',
      ),
      z.transform((v: string) => v || undefined),
    ),
  ),
  Mode: z.enum(['enforce', 'report'], { error: 'must be enforce or report' }),
});
export type Properties = z.infer<typeof properties>;
export type Data = Record<string, string>;

/** One attribute per check ("pass: …", "fail: …", "skip: …") and a Summary. */
export function toData(results: CheckResult[], mode: string): Data {
  const data: Data = {};
  for (const r of results) data[r.name] = `${r.status}: ${r.detail}`.slice(0, 400);
  const count = (s: string) => results.filter((r) => r.status === s).length;
  data.Summary = `${mode}: ${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`;
  return data;
}

export interface CertificateFacts {
  domain: string;
  serial?: string;
}

export function tlsVerification(deps: {
  rds: RDSClient;
  secrets: SecretsManagerClient;
  /** The CA bundle the database certificate must chain to, loaded on first use. */
  loadCa: () => Promise<string[]>;
  /** The listener certificate's domain and serial (ACM DescribeCertificate). */
  describeCertificate: (arn: string) => Promise<CertificateFacts>;
}): CustomResource<Properties, Data> {
  const run = async (p: Properties, ctx: InvocationContext) => {
    if (p.HttpsEnabled && !p.CertificateArn) {
      throw new PropertyValidationError([
        {
          property: 'CertificateArn',
          message:
            'is required when HttpsEnabled is true: pass the listener certificate ARN (the root CertificateArn parameter)',
        },
      ]);
    }
    const ca = await deps.loadCa();
    const certificate =
      p.HttpsEnabled && p.CertificateArn ? await deps.describeCertificate(p.CertificateArn) : undefined;
    const results = await verify(
      {
        database: { host: p.DbEndpoint, port: p.DbPort, ca },
        parameterGroupName: p.DbParameterGroupName,
        ...(p.DbSecretArn ? { secretArn: p.DbSecretArn } : {}),
        alb: { dnsName: p.AlbDnsName, httpsEnabled: p.HttpsEnabled, ...(certificate ? { certificate } : {}) },
        mode: p.Mode,
      },
      { rds: deps.rds, secrets: deps.secrets, logger: ctx.logger, phase: ctx.phase },
    );
    return { data: toData(results, p.Mode) };
  };
  return {
    name: 'TlsVerification',
    properties,
    create: (p, ctx) => run(p, ctx),
    update: (p, _old, ctx) => run(p, ctx),
  };
}
