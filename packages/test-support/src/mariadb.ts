import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

const MARIADBD = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].find((p) => existsSync(p));
const INSTALL_DB = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'].find((p) => existsSync(p));

export interface Pki {
  dir: string;
  /** PEM of the CA that signed the server certificate. */
  ca: string;
  /** PEM of an unrelated CA, for "wrong CA" cases. */
  otherCa: string;
}

/** A throwaway PKI: a CA, a server certificate for `localhost` and 127.0.0.1 signed by it, and an unrelated CA. */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'strata-pki-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const selfSignedCa = (cn: string, name: string) =>
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
    );
  selfSignedCa('Strata Test CA', 'ca');
  selfSignedCa('Unrelated CA', 'other');
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  );
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
    '-out',
    'server.pem',
  );
  return { dir, ca: readFileSync(join(dir, 'ca.pem'), 'utf8'), otherCa: readFileSync(join(dir, 'other.pem'), 'utf8') };
}

export interface MariaDbOptions {
  pki: Pki;
  requireSecureTransport: boolean;
  /** For example 'TLSv1.2,TLSv1.3' or 'TLSv1.1'. */
  tlsVersion: string;
}

/** Starts several servers; if any fails to start, stops the others before throwing. */
export async function startMariaDbs(options: MariaDbOptions[]): Promise<MariaDb[]> {
  const settled = await Promise.allSettled(options.map((o) => startMariaDb(o)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    throw failed.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<MariaDb>).value);
}

export interface MariaDb {
  host: string;
  port: number;
  user: string;
  password: string;
  stop(): Promise<void>;
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

/** Starts a real MariaDB (Debian's package) with TLS from the PKI and a user `app`; stop() removes it. */
export async function startMariaDb(options: MariaDbOptions): Promise<MariaDb> {
  if (!MARIADBD || !INSTALL_DB)
    throw new Error('MariaDB is not installed: run `bash tools/setup.sh` (it installs mariadb-server)');
  const dir = mkdtempSync(join(tmpdir(), 'strata-mariadb-'));
  const data = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  execFileSync(
    INSTALL_DB,
    ['--no-defaults', `--datadir=${data}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'],
    { stdio: 'ignore' },
  );
  const port = await freePort();
  const { pki } = options;
  const child: ChildProcess = spawn(
    MARIADBD,
    [
      '--no-defaults',
      `--datadir=${data}`,
      '--user=root',
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${socket}`,
      `--pid-file=${join(dir, 'pid')}`,
      `--log-error=${join(dir, 'error.log')}`,
      '--skip-name-resolve',
      `--ssl-ca=${join(pki.dir, 'ca.pem')}`,
      `--ssl-cert=${join(pki.dir, 'server.pem')}`,
      `--ssl-key=${join(pki.dir, 'server.key')}`,
      `--require-secure-transport=${options.requireSecureTransport ? 'ON' : 'OFF'}`,
      `--tls-version=${options.tlsVersion}`,
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 30_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000) : '';
      throw new Error(`MariaDB did not start on port ${port}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const password = 'app-password-1';
  try {
    // The admin session uses the local socket; --skip-ssl because a TLS 1.1-only server would refuse it.
    execFileSync(
      'mariadb',
      [
        '--no-defaults',
        '--skip-ssl',
        `--socket=${socket}`,
        '-uroot',
        '-e',
        `CREATE USER 'app'@'%' IDENTIFIED BY '${password}'; GRANT USAGE ON *.* TO 'app'@'%';`,
      ],
      { stdio: 'pipe' },
    );
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    user: 'app',
    password,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}
