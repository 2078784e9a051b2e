import type { Socket } from 'node:net';
import { MysqlProtocolError } from './errors';

/*
 * A TLS handshake with a MySQL server without logging in: read the server greeting, send an SSLRequest,
 * upgrade the socket. Hand-written because no maintained client library exposes this step on its own
 * (mysql2 only negotiates TLS as part of a login, which needs credentials); it is 40 lines of the
 * documented protocol: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html
 */

const CLIENT_LONG_PASSWORD = 0x1;
const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_SSL = 0x800;
const CLIENT_SECURE_CONNECTION = 0x8000;
const CLIENT_PLUGIN_AUTH = 0x80000;
const UTF8MB4_GENERAL_CI = 45;

export interface TlsProbe {
  host: string;
  port: number;
  ca: string | string[] | Buffer;
  /** The name the certificate must carry (defaults to host). */
  servername?: string;
  timeoutMs?: number;
}

export interface TlsFacts {
  serverVersion: string;
  protocol: string;
  cipher: string;
  subject: string;
  validTo: string;
}

/** Parses the server greeting (protocol 10): version string and capability flags. */
export function parseGreeting(payload: Buffer): { serverVersion: string; capabilities: number } {
  if (payload[0] === 0xff) {
    const code = payload.readUInt16LE(1);
    throw new MysqlProtocolError(
      `the server refused the connection: error ${code} ${payload.subarray(payload[3] === 0x23 ? 9 : 3).toString('utf8')}`,
    );
  }
  if (payload[0] !== 10)
    throw new MysqlProtocolError(`unexpected greeting protocol version ${payload[0]}: not a MySQL server?`);
  const end = payload.indexOf(0, 1);
  if (end < 0) throw new MysqlProtocolError('malformed greeting: no server version terminator');
  const serverVersion = payload.subarray(1, end).toString('utf8');
  // version, NUL, thread id (4), auth data part 1 (8), filler (1), then the lower capability flags (2).
  const lower = payload.readUInt16LE(end + 1 + 4 + 8 + 1);
  const upperOffset = end + 1 + 4 + 8 + 1 + 2 + 1 + 2;
  const upper = payload.length >= upperOffset + 2 ? payload.readUInt16LE(upperOffset) : 0;
  return { serverVersion, capabilities: lower | (upper << 16) };
}

/** The 32-byte SSLRequest packet (sequence id 1). */
export function sslRequest(): Buffer {
  const packet = Buffer.alloc(4 + 32);
  packet.writeUIntLE(32, 0, 3);
  packet.writeUInt8(1, 3);
  packet.writeUInt32LE(
    CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH,
    4,
  );
  packet.writeUInt32LE(16 * 1024 * 1024, 8);
  packet.writeUInt8(UTF8MB4_GENERAL_CI, 12);
  return packet;
}

/** Connects, negotiates TLS 1.2 or newer, verifies the certificate chain and host name, and hangs up. */
export async function probeMysqlTls(probe: TlsProbe): Promise<TlsFacts> {
  // node:net and node:tls load on first use, as the AWS SDK's HTTP handler loads them: not at cold start.
  const [net, tls] = await Promise.all([import('node:net'), import('node:tls')]);
  const timeoutMs = probe.timeoutMs ?? 10_000;
  const servername = probe.servername ?? probe.host;
  return new Promise<TlsFacts>((resolve, reject) => {
    const socket: Socket = net.connect({ host: probe.host, port: probe.port });
    let buffered = Buffer.alloc(0);
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () =>
      fail(new MysqlProtocolError(`no answer from ${probe.host}:${probe.port} within ${timeoutMs} ms`)),
    );
    socket.on('error', (e) =>
      fail(new MysqlProtocolError(`cannot reach ${probe.host}:${probe.port}: ${e.message}`, { cause: e })),
    );
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 4) return;
      const length = buffered.readUIntLE(0, 3);
      if (buffered.length < 4 + length) return;
      socket.off('data', onData);
      let greeting: ReturnType<typeof parseGreeting>;
      try {
        greeting = parseGreeting(buffered.subarray(4, 4 + length));
      } catch (e) {
        fail(e as Error);
        return;
      }
      if ((greeting.capabilities & CLIENT_SSL) === 0) {
        fail(new MysqlProtocolError(`${probe.host} (${greeting.serverVersion}) does not offer TLS at all`));
        return;
      }
      socket.write(sslRequest());
      const secure = tls.connect({
        socket,
        servername: net.isIP(servername) ? undefined : servername,
        host: servername,
        ca: probe.ca,
        minVersion: 'TLSv1.2',
        rejectUnauthorized: true,
      });
      secure.setTimeout(timeoutMs, () => fail(new MysqlProtocolError(`TLS handshake with ${probe.host} timed out`)));
      secure.once('error', (e) =>
        fail(new MysqlProtocolError(`TLS handshake with ${probe.host} failed: ${e.message}`, { cause: e })),
      );
      secure.once('secureConnect', () => {
        const cert = secure.getPeerCertificate();
        const facts: TlsFacts = {
          serverVersion: greeting.serverVersion,
          protocol: secure.getProtocol() ?? 'unknown',
          cipher: secure.getCipher()?.name ?? 'unknown',
          subject: [cert?.subject?.CN ?? ''].flat().join(','),
          validTo: cert?.valid_to ?? '',
        };
        settled = true;
        secure.destroy();
        resolve(facts);
      });
    };
    socket.on('data', onData);
  });
}
