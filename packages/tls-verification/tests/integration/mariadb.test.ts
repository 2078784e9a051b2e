import { type MariaDb, makePki, type Pki, startMariaDbs } from '@strata/test-support';
import { checkDatabaseTls, checkLogins } from '../../src/checks';

let pki: Pki;
let enforced: MariaDb;
let lax: MariaDb;
let legacy: MariaDb;

beforeAll(async () => {
  pki = makePki();
  [enforced, lax, legacy] = (await startMariaDbs([
    { pki, requireSecureTransport: true, tlsVersion: 'TLSv1.2,TLSv1.3' },
    { pki, requireSecureTransport: false, tlsVersion: 'TLSv1.2,TLSv1.3' },
    { pki, requireSecureTransport: true, tlsVersion: 'TLSv1.1' },
  ])) as [MariaDb, MariaDb, MariaDb];
}, 90_000);
afterAll(async () => {
  await Promise.all([enforced?.stop(), lax?.stop(), legacy?.stop()]);
});

const target = (db: MariaDb, extra: Partial<{ ca: string; servername: string }> = {}) => ({
  host: db.host,
  port: db.port,
  ca: pki.ca,
  servername: 'localhost',
  timeoutMs: 5_000,
  ...extra,
});

describe('Integration: TLS verification against a real MariaDB', () => {
  it('passes the handshake with TLS enforced, the CA trusted and the host name matching', async () => {
    const result = await checkDatabaseTls(target(enforced));

    expect(result.status).toBe('pass');
    expect(result.detail).toMatch(/^TLSv1\.[23] .*certificate for localhost/);
  });

  it('refuses a plaintext login and accepts a TLS login when require_secure_transport is on', async () => {
    const results = await checkLogins(target(enforced, { servername: '127.0.0.1' }), {
      username: enforced.user,
      password: enforced.password,
    });

    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['PlaintextLoginRefused', 'pass'],
      ['TlsLogin', 'pass'],
    ]);
    expect(results[1]?.detail).toMatch(/^logged in over TLSv1\.[23]$/);
  });

  it('fails naming require_secure_transport when the server accepts plaintext', async () => {
    const [plaintext] = await checkLogins(target(lax, { servername: '127.0.0.1' }), {
      username: lax.user,
      password: lax.password,
    });

    expect(plaintext).toEqual({
      name: 'PlaintextLoginRefused',
      status: 'fail',
      detail: 'a plaintext login succeeded: require_secure_transport is not in force',
    });
  });

  it('fails when the certificate does not chain to the trusted CA', async () => {
    const result = await checkDatabaseTls(target(enforced, { ca: pki.otherCa }));

    expect(result.status).toBe('fail');
    expect(result.detail).toMatch(/TLS handshake with 127\.0\.0\.1 failed: .*(self-signed|unable to (get|verify))/);
  });

  it('fails when the host name does not match the certificate', async () => {
    const result = await checkDatabaseTls(target(enforced, { servername: 'db.example.com' }));

    expect(result.status).toBe('fail');
    expect(result.detail).toMatch(/does not match certificate's altnames/);
  });

  it('fails against a server limited to TLS 1.1', async () => {
    const result = await checkDatabaseTls(target(legacy));

    expect(result.status).toBe('fail');
    expect(result.detail).toMatch(/TLS handshake with 127\.0\.0\.1 failed/);
  });
});
