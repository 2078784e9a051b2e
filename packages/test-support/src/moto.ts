import { startLocalCloud } from '../../../local-cloud/launch.cjs';

export interface MotoServer {
  url: string;
  /** Credentials and region for SDK clients pointed at the server. */
  clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  stop(): Promise<void>;
}

/**
 * Starts the local cloud (moto with Strata's extensions, local-cloud/) through its Node.js starter, which
 * resolves once the server accepts connections on the port it picked.
 */
export async function startMotoServer(): Promise<MotoServer> {
  const cloud = await startLocalCloud();
  return {
    url: cloud.url,
    clientConfig: {
      endpoint: cloud.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    },
    stop: () => cloud.stop(),
  };
}
