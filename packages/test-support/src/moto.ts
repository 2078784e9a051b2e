import { startLocalCloud } from '../../../local-cloud/launch.cjs';

export interface MotoServer {
  url: string;
  /** Credentials and region for SDK clients pointed at the server. */
  clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /**
   * For S3 Control, whose endpoint rules put the account ID in front of the host (<account>.<endpoint host>): an
   * IP address cannot carry it, so the client gets a localhost name. Reading it loads, into this process, the
   * preload the local cloud gives its Lambda processes, which connects <account>.localhost to loopback (RFC 6761).
   */
  readonly s3ControlConfig: MotoServer['clientConfig'];
  stop(): Promise<void>;
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
    get s3ControlConfig() {
      // The preload is CommonJS, loaded once for its side effect (the require cache keeps it to one load).
      require('../../../local-cloud/strata_local_cloud/lambda_runtime/dataplane_hook.cjs');
      return { ...clientConfig, endpoint: `http://localhost:${new URL(cloud.url).port}` };
    },
    stop: () => cloud.stop(),
  };
}
