import { DescribeDBParametersCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { customResourceHandler, type Put } from '@strata/custom-resource-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { silentLogger } from '@strata/test-support';
import { checkRequireSecureTransport, readCredentials } from '../../src/checks';
import { VerificationFailedError } from '../../src/errors';
import { tlsVerification } from '../../src/resource';
import { verify } from '../../src/verify';

const rdsMock = mockClient(RDSClient);
const secretsMock = mockClient(SecretsManagerClient);
const logger = silentLogger;

function parameters(requireSecureTransport: string, tlsVersion = 'TLSv1.2,TLSv1.3') {
  rdsMock.reset();
  rdsMock
    .on(DescribeDBParametersCommand)
    .resolvesOnce({
      Parameters: [{ ParameterName: 'require_secure_transport', ParameterValue: requireSecureTransport }],
      Marker: 'm',
    })
    .resolves({ Parameters: [{ ParameterName: 'tls_version', ParameterValue: tlsVersion }] });
}

// Port 9 on loopback: nothing listens, so the handshake fails at once.
const UNREACHABLE = { host: '127.0.0.1', port: 9, ca: 'x', timeoutMs: 2_000 };

describe('Function: checkRequireSecureTransport', () => {
  it('passes when the group sets require_secure_transport=1 and TLS 1.2+, reading every page', async () => {
    parameters('1');

    const result = await checkRequireSecureTransport(new RDSClient({}), 'strata-dev-mysql');

    expect(result).toEqual({
      name: 'RequireSecureTransport',
      status: 'pass',
      detail: 'require_secure_transport=1, tls_version=TLSv1.2,TLSv1.3 in strata-dev-mysql',
    });
    expect(rdsMock).toHaveReceivedCommandTimes(DescribeDBParametersCommand, 2);
  });

  it('fails naming require_secure_transport when it is off', async () => {
    parameters('0');

    expect(await checkRequireSecureTransport(new RDSClient({}), 'g')).toEqual({
      name: 'RequireSecureTransport',
      status: 'fail',
      detail: 'require_secure_transport is 0 in g; set it to 1',
    });
  });

  it('fails when tls_version allows TLS 1.1', async () => {
    parameters('1', 'TLSv1.1,TLSv1.2');

    expect((await checkRequireSecureTransport(new RDSClient({}), 'g')).detail).toBe('tls_version allows TLSv1.1 in g');
  });
});

describe('Function: readCredentials', () => {
  it('reads username and password from the RDS-managed secret', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '{"username":"strata_admin","password":"p"}' });

    expect(await readCredentials(new SecretsManagerClient({}), 'arn:s')).toEqual({
      username: 'strata_admin',
      password: 'p',
    });
  });
});

describe('Function: verify', () => {
  it('in enforce mode fails naming every failed check', async () => {
    parameters('0');

    const attempt = verify(
      { database: UNREACHABLE, parameterGroupName: 'g', mode: 'enforce', alb: { dnsName: 'x', httpsEnabled: false } },
      { rds: new RDSClient({}), secrets: new SecretsManagerClient({}), logger },
    );

    await expect(attempt).rejects.toThrow(VerificationFailedError);
    await expect(attempt).rejects.toThrow(
      /^TLS verification failed \(Mode enforce\): DatabaseTls: cannot reach 127\.0\.0\.1:9: .*; RequireSecureTransport: require_secure_transport is 0 in g; set it to 1$/,
    );
  });

  it('in report mode returns every result, skipping what it cannot check', async () => {
    parameters('1');

    const results = await verify(
      { database: UNREACHABLE, parameterGroupName: 'g', mode: 'report', alb: { dnsName: 'x', httpsEnabled: false } },
      { rds: new RDSClient({}), secrets: new SecretsManagerClient({}), logger },
    );

    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['DatabaseTls', 'fail'],
      ['RequireSecureTransport', 'pass'],
      ['PlaintextLoginRefused', 'skip'],
      ['TlsLogin', 'skip'],
      ['AlbTls', 'skip'],
      ['HttpRedirect', 'skip'],
    ]);
  });
});

describe('Function: handler (Custom::TlsVerification)', () => {
  it('answers one attribute per check and a summary in report mode', async () => {
    // Arrange
    parameters('1');
    const sent: string[] = [];
    const put: Put = async (_u, body) => {
      sent.push(body);
      return 200;
    };
    const handler = customResourceHandler(
      tlsVerification({
        rds: new RDSClient({}),
        secrets: new SecretsManagerClient({}),
        loadCa: async () => ['x'],
        describeCertificate: async () => ({ domain: 'app.example.com' }),
      }),
      { put, logger },
    );

    // Act
    await handler(
      {
        RequestType: 'Create',
        ResponseURL: 'https://example.invalid/r?s',
        StackId: 's',
        RequestId: 'r',
        LogicalResourceId: 'Tls',
        ResourceType: 'Custom::TlsVerification',
        ResourceProperties: {
          ServiceToken: 'a',
          DbEndpoint: '127.0.0.1',
          DbPort: '9',
          DbParameterGroupName: 'g',
          DbSecretArn: '',
          AlbDnsName: 'alb.example',
          HttpsEnabled: 'false',
          Mode: 'report',
        },
      },
      { getRemainingTimeInMillis: () => 60_000 },
    );

    // Assert
    const body = JSON.parse(sent[0] ?? '');
    expect(body.Status).toBe('SUCCESS');
    expect(Object.keys(body.Data).sort()).toEqual([
      'AlbTls',
      'DatabaseTls',
      'HttpRedirect',
      'PlaintextLoginRefused',
      'RequireSecureTransport',
      'Summary',
      'TlsLogin',
    ]);
    expect(body.Data.Summary).toBe('report: 1 passed, 1 failed, 4 skipped');
    expect(body.Data.RequireSecureTransport).toMatch(/^pass: /);
  });

  it('refuses HTTPS without a certificate ARN, naming the property and the fix', async () => {
    // Arrange
    const sent: string[] = [];
    const put: Put = async (_u, body) => {
      sent.push(body);
      return 200;
    };
    const describeCertificate = jest.fn(async () => ({ domain: 'app.example.com' }));
    const handler = customResourceHandler(
      tlsVerification({
        rds: new RDSClient({}),
        secrets: new SecretsManagerClient({}),
        loadCa: async () => ['x'],
        describeCertificate,
      }),
      { put, logger },
    );

    // Act
    await handler(
      {
        RequestType: 'Create',
        ResponseURL: 'https://example.invalid/r?s',
        StackId: 's',
        RequestId: 'r',
        LogicalResourceId: 'Tls',
        ResourceType: 'Custom::TlsVerification',
        ResourceProperties: {
          ServiceToken: 'a',
          DbEndpoint: '127.0.0.1',
          DbPort: '9',
          DbParameterGroupName: 'g',
          AlbDnsName: 'alb.example',
          HttpsEnabled: 'true',
          CertificateArn: '',
          Mode: 'enforce',
        },
      },
      { getRemainingTimeInMillis: () => 60_000 },
    );

    // Assert
    const body = JSON.parse(sent[0] ?? '');
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toMatch(
      /CertificateArn: is required when HttpsEnabled is true: pass the listener certificate ARN/,
    );
    expect(describeCertificate).not.toHaveBeenCalled();
  });
});
