import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

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
 * Starts the local cloud (moto with Strata's extensions, tools/local-cloud) on a port it picks itself and
 * resolves once it has printed `STRATA_LOCAL_CLOUD_URL=…`, i.e. once it accepts connections.
 */
export async function startMotoServer(): Promise<MotoServer> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run \`bash tools/setup.sh\` first`);
  const child: ChildProcess = spawn(PYTHON, ['-u', '-m', 'strata_local_cloud', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, PYTHONPATH: LOCAL_CLOUD },
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('the local cloud did not start within 60 s'));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the local cloud exited (code ${code}) before listening`));
    });
    // biome-ignore lint/style/noNonNullAssertion: stdout is a pipe by the spawn options above
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith('STRATA_LOCAL_CLOUD_URL=')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      lines.close();
      child.stdout?.resume();
      resolve(line.slice('STRATA_LOCAL_CLOUD_URL='.length));
    });
  });
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
