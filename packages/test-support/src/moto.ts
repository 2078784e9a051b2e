import dns from 'node:dns';
import http from 'node:http';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startLocalCloud } from '../../../local-cloud/launch.cjs';

export interface MotoServer {
  url: string;
  /** Credentials and region for SDK clients pointed at the server. */
  clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /**
   * For S3 Control, whose endpoint rules put the account ID in front of the host (<account>.<endpoint host>): an
   * IP address cannot carry it, so the client gets a localhost name and resolves <account>.localhost to loopback
   * (RFC 6761 section 6.3), as the local cloud's Lambda processes do.
   */
  s3ControlConfig: MotoServer['clientConfig'] & { requestHandler: NodeHttpHandler };
  stop(): Promise<void>;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

function loopbackLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  if (hostname !== 'localhost' && !hostname.endsWith('.localhost')) {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) =>
      options.all ? callback(error, addresses) : callback(error, addresses[0]?.address ?? '', addresses[0]?.family),
    );
    return;
  }
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
}

/**
 * Starts the local cloud (moto with Strata's extensions, local-cloud/) through its Node.js starter, which
 * resolves once the server accepts connections on the port it picked.
 */
export async function startMotoServer(): Promise<MotoServer> {
  const cloud = await startLocalCloud();
  const clientConfig = {
    endpoint: cloud.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  return {
    url: cloud.url,
    clientConfig,
    s3ControlConfig: {
      ...clientConfig,
      endpoint: `http://localhost:${new URL(cloud.url).port}`,
      requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ lookup: loopbackLookup }) }),
    },
    stop: () => cloud.stop(),
  };
}
