import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports';

const REPO = join(__dirname, '..', '..', '..');
const PYTHON = join(REPO, '.venv', 'bin', 'python');
const LOCAL_CLOUD = join(REPO, 'tools', 'local-cloud');

export interface MotoServer {
  url: string;
  /** Credentials and region for SDK clients pointed at the server. */
  clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  stop(): Promise<void>;
}

/**
 * Starts moto's server with Strata's extensions (tools/local-cloud: the RDS MySQL catalogue, …) on a free
 * loopback port and waits until it answers.
 */
export async function startMotoServer(): Promise<MotoServer> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run \`bash tools/setup.sh\` first`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(PYTHON, ['-m', 'strata_local_cloud', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    env: { ...process.env, PYTHONPATH: LOCAL_CLOUD },
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/moto-api/`);
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`moto server did not start on ${url}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    clientConfig: {
      endpoint: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
