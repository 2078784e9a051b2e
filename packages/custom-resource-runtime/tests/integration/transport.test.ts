import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makePki } from '@strata/test-support';
import * as z from 'zod/mini';
import { cfn, createPut, customResourceHandler } from '../../src';
import { context, event, memoryLogger } from '../helpers';

interface Received {
  method: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  url: string;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function collector(received: Received[], statuses: number[] = []) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        url: req.url ?? '',
      });
      res.statusCode = statuses[received.length - 1] ?? 200;
      res.end();
    });
  };
}

const resource = {
  name: 'Wire',
  properties: z.strictObject({ Count: cfn.integer(1, 6) }),
  create: async () => ({ data: { Greeting: 'grüße 🦆' } }),
  update: async () => ({}),
};

describe('Integration: the response PUT over real sockets', () => {
  describe('when the ResponseURL is http://', () => {
    const received: Received[] = [];
    const server = http.createServer(collector(received, [503, 200]));
    let port = 0;

    beforeAll(async () => {
      port = await listen(server);
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('PUTs the JSON with a byte-accurate Content-Length and an empty Content-Type, retrying a 503', async () => {
      // Arrange
      const handler = customResourceHandler(resource, { put: createPut(), logger: memoryLogger(), baseDelayMs: 1 });

      // Act
      await handler(event({ ResponseURL: `http://127.0.0.1:${port}/bucket/key?X-Amz-Signature=s` }), context());

      // Assert
      expect(received).toHaveLength(2);
      const last = received[1] as Received;
      expect(last.method).toBe('PUT');
      expect(last.url).toBe('/bucket/key?X-Amz-Signature=s');
      expect(last.headers['content-type']).toBe('');
      expect(Number(last.headers['content-length'])).toBe(Buffer.byteLength(last.body));
      expect(JSON.parse(last.body)).toEqual(
        expect.objectContaining({ Status: 'SUCCESS', Data: { Greeting: 'grüße 🦆' } }),
      );
    });
  });

  describe('when the ResponseURL is https://', () => {
    const pki = makePki();
    const cert = pki.ca;
    const received: Received[] = [];
    const server = https.createServer(
      { key: readFileSync(join(pki.dir, 'server.key')), cert: readFileSync(join(pki.dir, 'server.pem')) },
      collector(received),
    );
    let port = 0;

    beforeAll(async () => {
      port = await listen(server);
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('PUTs over TLS, verifying the server certificate', async () => {
      const handler = customResourceHandler(resource, { put: createPut({ ca: cert }), logger: memoryLogger() });

      await handler(event({ ResponseURL: `https://127.0.0.1:${port}/k?sig=1` }), context());

      expect(received).toHaveLength(1);
      expect(JSON.parse(received[0]?.body ?? '')).toEqual(expect.objectContaining({ Status: 'SUCCESS' }));
    });

    it('refuses a server whose certificate it cannot verify, and retries rather than send in the clear', async () => {
      const logger = memoryLogger();
      const handler = customResourceHandler(resource, { put: createPut(), logger, attempts: 2, baseDelayMs: 1 });
      const before = received.length;

      await handler(event({ ResponseURL: `https://127.0.0.1:${port}/k?sig=1` }), context());

      expect(received.length).toBe(before);
      expect(logger.lines.filter((l) => l.message === 'response delivery failed')).toHaveLength(2);
    });
  });
});
