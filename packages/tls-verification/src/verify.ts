import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '@strata/custom-resource-runtime';
import {
  type AlbTarget,
  type CheckResult,
  checkAlbTls,
  checkDatabaseTls,
  checkHttpRedirect,
  checkLogins,
  checkRequireSecureTransport,
  type DatabaseTarget,
  readCredentials,
  skip,
} from './checks';
import { VerificationFailedError } from './errors';

export type Mode = 'enforce' | 'report';

export interface VerificationRequest {
  database: DatabaseTarget;
  parameterGroupName: string;
  secretArn?: string;
  alb?: AlbTarget & { httpsEnabled: boolean };
  mode: Mode;
}

export interface VerificationDeps {
  rds: RDSClient;
  secrets: SecretsManagerClient;
  logger: Logger;
  phase?: (description: string) => void;
}

/** Runs every check (independent ones in parallel); in enforce mode a failed check fails the deploy. */
export async function verify(request: VerificationRequest, deps: VerificationDeps): Promise<CheckResult[]> {
  deps.phase?.('checking the database TLS handshake, the parameter group and the load balancer');
  const [databaseTls, parameters, albTls, redirect] = await Promise.all([
    checkDatabaseTls(request.database),
    checkRequireSecureTransport(deps.rds, request.parameterGroupName),
    request.alb?.httpsEnabled
      ? checkAlbTls(request.alb)
      : Promise.resolve(skip('AlbTls', 'HTTPS is off (dev without a certificate)')),
    request.alb?.httpsEnabled
      ? checkHttpRedirect(request.alb)
      : Promise.resolve(skip('HttpRedirect', 'HTTPS is off (dev without a certificate)')),
  ]);

  let logins: CheckResult[];
  if (request.secretArn) {
    deps.phase?.('logging in over plaintext and over TLS with the master secret');
    try {
      logins = await checkLogins(request.database, await readCredentials(deps.secrets, request.secretArn));
    } catch (e) {
      const reason = `cannot read the secret: ${e instanceof Error ? e.message : String(e)}`;
      logins = [
        { name: 'PlaintextLoginRefused', status: 'fail', detail: reason },
        { name: 'TlsLogin', status: 'fail', detail: reason },
      ];
    }
  } else {
    logins = [skip('PlaintextLoginRefused', 'no DbSecretArn given'), skip('TlsLogin', 'no DbSecretArn given')];
  }

  const results = [databaseTls, parameters, ...logins, albTls, redirect];
  deps.logger.info('tls verification', { mode: request.mode, results });
  const failed = results.filter((r) => r.status === 'fail');
  if (request.mode === 'enforce' && failed.length) throw new VerificationFailedError(failed);
  return results;
}
