import { MysqlProtocolError } from '../../src/errors';
import { parseGreeting, sslRequest } from '../../src/mysql-handshake';

function greeting(capabilitiesLower: number, capabilitiesUpper = 0): Buffer {
  const version = Buffer.from('8.0.40\0');
  const body = Buffer.alloc(4 + 8 + 1 + 2 + 1 + 2 + 2);
  body.writeUInt32LE(7, 0); // thread id
  body.writeUInt16LE(capabilitiesLower, 13);
  body.writeUInt16LE(capabilitiesUpper, 18);
  return Buffer.concat([Buffer.from([10]), version, body]);
}

describe('Function: sslRequest', () => {
  it('is a 32-byte payload with sequence id 1 asking for SSL and protocol 4.1', () => {
    const packet = sslRequest();

    expect(packet.length).toBe(36);
    expect(packet.readUIntLE(0, 3)).toBe(32);
    expect(packet[3]).toBe(1);
    const flags = packet.readUInt32LE(4);
    expect(flags & 0x800).toBe(0x800);
    expect(flags & 0x200).toBe(0x200);
    expect(packet.subarray(13).every((b) => b === 0)).toBe(true);
  });
});

describe('Function: parseGreeting', () => {
  it('reads the server version and both halves of the capability flags', () => {
    expect(parseGreeting(greeting(0x0800 | 0x0200, 0x0008))).toEqual({
      serverVersion: '8.0.40',
      capabilities: 0x0a00 | (0x0008 << 16),
    });
  });

  it('turns an error packet into a message with its code', () => {
    const error = Buffer.concat([Buffer.from([0xff, 0x69, 0x04]), Buffer.from('Host is blocked')]);

    expect(() => parseGreeting(error)).toThrow(
      new MysqlProtocolError('the server refused the connection: error 1129 Host is blocked'),
    );
  });

  it('refuses something that is not a MySQL greeting', () => {
    expect(() => parseGreeting(Buffer.from('HTTP/1.1 400'))).toThrow(/not a MySQL server/);
  });
});
