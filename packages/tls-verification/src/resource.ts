import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type CustomResource, cfn, type InvocationContext } from '@strata/custom-resource-runtime';
import { z } from 'zod';
import type { CheckResult } from './checks';
import { verify } from './verify';

export const properties = z.strictObject({
  DbEndpoint: z.string().regex(/^[a-z0-9.-]+$/i, { error: 'must be the database endpoint host name' }),
  DbPort: cfn.integer(1, 65535),
  DbParameterGroupName: z.string().min(1, { error: 'must name the DB parameter group' }),
  DbSecretArn: z
    .string()
    .regex(/^$|^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, {
      error: 'must be empty or a Secrets Manager secret ARN',
    })
    .optional()
    .transform((v) => v || undefined),
  AlbDnsName: z.string().regex(/^[a-z0-9.-]+$/i, { error: 'must be the load balancer DNS name' }),
  HttpsEnabled: cfn.boolean(),
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

export function tlsVerification(deps: {
  rds: RDSClient;
  secrets: SecretsManagerClient;
  ca: string[];
}): CustomResource<Properties, Data> {
  const run = async (p: Properties, ctx: InvocationContext) => {
    const results = await verify(
      {
        database: { host: p.DbEndpoint, port: p.DbPort, ca: deps.ca },
        parameterGroupName: p.DbParameterGroupName,
        ...(p.DbSecretArn ? { secretArn: p.DbSecretArn } : {}),
        alb: { dnsName: p.AlbDnsName, httpsEnabled: p.HttpsEnabled },
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
