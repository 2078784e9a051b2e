import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makePki, type Pki } from '@strata/test-support';
import { checkAlbTls, checkHttpRedirect } from '../../src/checks';

let pki: Pki;
const servers: http.Server[] = [];
const listen = (s: http.Server) =>
  new Promise<number>((resolve) => {
    servers.push(s);
    s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
  });

beforeAll(() => {
  pki = makePki();
});
afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

const tlsServer = (options: https.ServerOptions = {}) =>
  https.createServer(
    { key: readFileSync(join(pki.dir, 'server.key')), cert: readFileSync(join(pki.dir, 'server.pem')), ...options },
    (_q, s) => s.end('ok'),
  );

describe('Integration: load balancer checks against local servers', () => {
  it('passes a redirect of HTTP to HTTPS and fails a plain answer', async () => {
    const redirecting = await listen(
      http.createServer((_q, s) => s.writeHead(301, { location: 'https://localhost/' }).end()),
    );
    const plain = await listen(http.createServer((_q, s) => s.writeHead(200).end('hi')));

    expect((await checkHttpRedirect({ dnsName: 'localhost', httpPort: redirecting })).status).toBe('pass');
    expect(await checkHttpRedirect({ dnsName: 'localhost', httpPort: plain })).toEqual({
      name: 'HttpRedirect',
      status: 'fail',
      detail: 'HTTP answered 200, not a redirect to HTTPS',
    });
  });

  it('passes a trusted certificate over TLS 1.2+ and fails a server stuck on TLS 1.1', async () => {
    const modern = await listen(tlsServer());
    const legacy = await listen(tlsServer({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }));

    expect((await checkAlbTls({ dnsName: 'localhost', httpsPort: modern, ca: pki.ca })).status).toBe('pass');
    expect((await checkAlbTls({ dnsName: 'localhost', httpsPort: legacy, ca: pki.ca })).status).toBe('fail');
  });

  it('fails a certificate it cannot trust', async () => {
    const modern = await listen(tlsServer());

    expect((await checkAlbTls({ dnsName: 'localhost', httpsPort: modern, ca: pki.otherCa })).detail).toMatch(
      /^TLS to localhost failed: /,
    );
  });

  it('checks the configured certificate: its domain as SNI and its serial, not the load balancer name', async () => {
    const modern = await listen(tlsServer());
    const served = new X509Certificate(readFileSync(join(pki.dir, 'server.pem'))).serialNumber;
    const target = { dnsName: '127.0.0.1', httpsPort: modern, ca: pki.ca };

    expect((await checkAlbTls({ ...target, certificate: { domain: 'localhost', serial: served } })).status).toBe(
      'pass',
    );
    expect(
      (
        await checkAlbTls({
          ...target,
          certificate: { domain: 'localhost', serial: served.toLowerCase().replace(/(..)/g, '$1:').slice(0, -1) },
        })
      ).status,
    ).toBe('pass');
    expect((await checkAlbTls({ ...target, certificate: { domain: 'localhost', serial: '0A:0B' } })).detail).toMatch(
      /^served certificate serial .* is not the configured one \(0A:0B\)$/,
    );
    expect((await checkAlbTls({ ...target, certificate: { domain: 'app.example.com' } })).detail).toMatch(
      /^TLS to 127.0.0.1 failed: .*app\.example\.com/,
    );
  });
});
