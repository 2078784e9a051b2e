import { paginateDescribeDBParameters, type RDSClient } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { probeMysqlTls } from './mysql-handshake';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
}

const pass = (name: string, detail: string): CheckResult => ({ name, status: 'pass', detail });
const fail = (name: string, detail: string): CheckResult => ({ name, status: 'fail', detail });
const skip = (name: string, detail: string): CheckResult => ({ name, status: 'skip', detail });
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const WEAK_TLS = new Set(['TLSv1', 'TLSv1.1', 'SSLv3']);

export interface DatabaseTarget {
  host: string;
  port: number;
  ca: string | string[];
  /** Name the certificate must carry; the endpoint host name by default. */
  servername?: string;
  timeoutMs?: number;
}

/** A real TLS handshake over the MySQL protocol: chain to the RDS CA, host name, TLS 1.2+. */
export async function checkDatabaseTls(db: DatabaseTarget): Promise<CheckResult> {
  const name = 'DatabaseTls';
  try {
    const facts = await probeMysqlTls({ ...db, servername: db.servername ?? db.host });
    if (WEAK_TLS.has(facts.protocol)) return fail(name, `negotiated ${facts.protocol}, older than TLS 1.2`);
    return pass(name, `${facts.protocol} ${facts.cipher}, certificate for ${facts.subject} valid to ${facts.validTo}`);
  } catch (e) {
    return fail(name, message(e));
  }
}

/** The parameter group refuses plaintext (require_secure_transport) and allows no TLS below 1.2. */
export async function checkRequireSecureTransport(rds: RDSClient, parameterGroupName: string): Promise<CheckResult> {
  const name = 'RequireSecureTransport';
  const values = new Map<string, string | undefined>();
  try {
    for await (const page of paginateDescribeDBParameters(
      { client: rds },
      { DBParameterGroupName: parameterGroupName },
    )) {
      for (const p of page.Parameters ?? []) if (p.ParameterName) values.set(p.ParameterName, p.ParameterValue);
    }
  } catch (e) {
    return fail(name, `cannot read parameter group ${parameterGroupName}: ${message(e)}`);
  }
  const required = values.get('require_secure_transport');
  if (!['1', 'ON', 'on'].includes(required ?? '')) {
    return fail(name, `require_secure_transport is ${required ?? 'unset'} in ${parameterGroupName}; set it to 1`);
  }
  const versions = (values.get('tls_version') ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const weak = versions.filter((v) => WEAK_TLS.has(v));
  if (weak.length) return fail(name, `tls_version allows ${weak.join(', ')} in ${parameterGroupName}`);
  return pass(
    name,
    `require_secure_transport=1${versions.length ? `, tls_version=${versions.join(',')}` : ''} in ${parameterGroupName}`,
  );
}

export interface Credentials {
  username: string;
  password: string;
}

/** Reads the RDS-managed master secret ({"username","password"}); never logs or returns the password. */
export async function readCredentials(secrets: SecretsManagerClient, secretArn: string): Promise<Credentials> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const parsed = JSON.parse(out.SecretString ?? '{}') as Partial<Credentials>;
  if (!parsed.username || !parsed.password) throw new Error(`the secret ${secretArn} has no username and password`);
  return { username: parsed.username, password: parsed.password };
}

const INSECURE_TRANSPORT = 3159; // ER_SECURE_TRANSPORT_REQUIRED (MySQL)
const ACCESS_DENIED = 1045; // MariaDB answers this instead

/**
 * Logs in twice with the same credentials: over plaintext (must be refused) and over verified TLS 1.2+
 * (must work). A refusal over plaintext counts only when the TLS login proves the credentials are good.
 */
export async function checkLogins(db: DatabaseTarget, credentials: Credentials): Promise<CheckResult[]> {
  // Loaded on first use (src/lazy.ts): mysql2 is most of the code and only the login checks need it.
  const { mysql } = await import('./lazy.js');
  const connectTimeout = db.timeoutMs ?? 10_000;
  const base = {
    host: db.host,
    port: db.port,
    user: credentials.username,
    password: credentials.password,
    connectTimeout,
  };
  let tlsLogin: CheckResult;
  try {
    const connection = await mysql.createConnection({
      ...base,
      ssl: {
        ca: db.ca,
        minVersion: 'TLSv1.2',
        rejectUnauthorized: true,
        ...(db.servername ? { servername: db.servername } : {}),
      },
    });
    const [rows] = await connection.query("SHOW SESSION STATUS LIKE 'Ssl_version'");
    await connection.end();
    const version = (rows as { Value?: string }[])[0]?.Value ?? '';
    tlsLogin =
      version && !WEAK_TLS.has(version)
        ? pass('TlsLogin', `logged in over ${version}`)
        : fail('TlsLogin', `session TLS version is "${version}"`);
  } catch (e) {
    tlsLogin = fail('TlsLogin', `TLS login failed: ${message(e)}`);
  }

  let plaintext: CheckResult;
  try {
    const connection = await mysql.createConnection({ ...base });
    await connection.end();
    plaintext = fail('PlaintextLoginRefused', 'a plaintext login succeeded: require_secure_transport is not in force');
  } catch (e) {
    const errno = (e as { errno?: number }).errno;
    if (errno === INSECURE_TRANSPORT) plaintext = pass('PlaintextLoginRefused', 'refused: secure transport required');
    else if (errno === ACCESS_DENIED && tlsLogin.status === 'pass')
      plaintext = pass('PlaintextLoginRefused', 'refused over plaintext although the same credentials work over TLS');
    else plaintext = fail('PlaintextLoginRefused', `inconclusive: ${message(e)}`);
  }
  return [plaintext, tlsLogin];
}

export interface AlbTarget {
  dnsName: string;
  httpsPort?: number;
  httpPort?: number;
  ca?: string | string[];
  timeoutMs?: number;
  /**
   * The ACM certificate the listener must serve: its domain (sent as SNI and checked against the served
   * certificate) and its serial. An ALB's own DNS name is never on a customer certificate.
   */
  certificate?: { domain: string; serial?: string };
}

/** A host name the certificate's domain covers: a wildcard's first label is replaced by a concrete one. */
export function nameFor(domain: string): string {
  return domain.startsWith('*.') ? `tls-check.${domain.slice(2)}` : domain;
}

/** Serials compared as AWS and Node print them: hex, any case, with or without colons and leading zeros. */
function sameSerial(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/:/g, '').replace(/^0+/, '').toUpperCase();
  return norm(a) === norm(b);
}

/**
 * The ALB serves the configured certificate over TLS 1.2+, valid (public trust store) for the certificate's
 * domain. Connects to the ALB's DNS name with the domain as SNI, as a browser reaching the domain would.
 */
export async function checkAlbTls(alb: AlbTarget): Promise<CheckResult> {
  const name = 'AlbTls';
  const tls = await import('node:tls');
  return new Promise((resolve) => {
    const servername = alb.certificate ? nameFor(alb.certificate.domain) : alb.dnsName;
    const socket = tls.connect({
      host: alb.dnsName,
      port: alb.httpsPort ?? 443,
      servername,
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      ...(alb.ca ? { ca: alb.ca } : {}),
    });
    socket.setTimeout(alb.timeoutMs ?? 10_000, () => {
      socket.destroy();
      resolve(fail(name, `no TLS answer from ${alb.dnsName} within ${alb.timeoutMs ?? 10_000} ms`));
    });
    socket.once('error', (e) => resolve(fail(name, `TLS to ${alb.dnsName} failed: ${e.message}`)));
    socket.once('secureConnect', () => {
      const protocol = socket.getProtocol() ?? 'unknown';
      const cert = socket.getPeerCertificate();
      socket.destroy();
      const expected = alb.certificate?.serial;
      if (expected && !sameSerial(cert?.serialNumber ?? '', expected)) {
        resolve(
          fail(name, `served certificate serial ${cert?.serialNumber ?? '?'} is not the configured one (${expected})`),
        );
        return;
      }
      resolve(
        pass(
          name,
          `${protocol}, certificate for ${servername} (${[cert?.subject?.CN ?? '?'].flat().join(',')}) valid to ${cert?.valid_to ?? '?'}`,
        ),
      );
    });
  });
}

/**
 * Sent on every HTTP request the verifier makes. The WAF web ACL in front of the ALB (compute layer) uses
 * AWSManagedRulesCommonRuleSet, whose NoUserAgent_HEADER rule blocks a request without a User-Agent
 * (https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html), and Node's
 * http client sends none of its own. An honest name, so the request is recognisable in the ALB and WAF logs.
 */
export const USER_AGENT = 'strata-tls-verification/1 (AWS CloudFormation custom resource Custom::TlsVerification)';

/** Plain HTTP answers with a permanent redirect to HTTPS on the same host. */
export async function checkHttpRedirect(alb: AlbTarget): Promise<CheckResult> {
  const name = 'HttpRedirect';
  const http = await import('node:http');
  return new Promise((resolve) => {
    const request = http.get(
      {
        host: alb.dnsName,
        port: alb.httpPort ?? 80,
        path: '/',
        timeout: alb.timeoutMs ?? 10_000,
        headers: { 'user-agent': USER_AGENT },
      },
      (response) => {
        response.resume();
        const location = response.headers.location ?? '';
        if ((response.statusCode === 301 || response.statusCode === 308) && location.startsWith('https://')) {
          resolve(pass(name, `HTTP ${response.statusCode} to ${location}`));
        } else {
          resolve(
            fail(
              name,
              `HTTP answered ${response.statusCode}${location ? ` to ${location}` : ''}, not a redirect to HTTPS`,
            ),
          );
        }
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no HTTP answer within ${alb.timeoutMs ?? 10_000} ms`)));
    request.on('error', (e) => resolve(fail(name, `HTTP to ${alb.dnsName} failed: ${e.message}`)));
  });
}

export { skip };
