'use strict';
// The Node.js starter for the local cloud, used by tools/invoke.mjs and the jest integration suites
// (through @strata/test-support). It follows the one launcher contract every starter uses (the shell one in
// tools/lib/local-cloud.sh, the Python one in strata_local_cloud/launch.py):
//   strata-local-cloud --port 0 --url-file F
// The server picks a free port, and once it accepts connections writes its URL to F (atomically) and prints
// STRATA_LOCAL_CLOUD_URL=<url>. Starters wait for F, never for a fixed port.
const { spawn } = require('node:child_process');
const { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const BIN = join(__dirname, '..', '.venv', 'bin', 'strata-local-cloud');

// The clouds this process started and has not stopped. They end with it: on a normal exit, and when it is
// signalled (Ctrl-C, a CI cancel, kill), which Node.js would otherwise answer by exiting at once and leaving them
// running. The handler stops them, then lets the signal do what it would have done.
const live = new Set();
let watching = false;
function endWithThisProcess(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (watching) return;
  watching = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGTERM');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      for (const c of live) c.kill('SIGTERM');
      // once(): this listener is gone, so the same signal now takes Node.js's default action (exit 128 + n)
      process.kill(process.pid, signal);
    });
  }
}

// The last lines of the server's log, for the error of a start that failed: without them a crash at start-up reads only
// "exited (code 1)", and the cause (a Python traceback) is lost with the scratch directory.
function tail(file, lines = 15) {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return text ? `; the last lines of its log (${file}):\n${text.split('\n').slice(-lines).join('\n')}` : '';
  } catch {
    return '';
  }
}

/**
 * @param {{ timeoutMs?: number, log?: string }} [options] log: a file for the server's log (default: one in a
 *   scratch directory, removed once it has started; its last lines are in the error of a start that fails)
 * @returns {Promise<{ url: string, pid: number, stop: () => Promise<void> }>}
 */
function startLocalCloud(options = {}) {
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!existsSync(BIN)) return Promise.reject(new Error(`${BIN} is missing: run \`bash tools/setup.sh\` first`));
  const dir = mkdtempSync(join(tmpdir(), 'strata-local-cloud-url-'));
  const urlFile = join(dir, 'url');
  const log = options.log ?? join(dir, 'local-cloud.log');
  const err = openSync(log, 'w');
  const child = spawn(BIN, ['--port', '0', '--url-file', urlFile], { stdio: ['ignore', 'ignore', err] });
  closeSync(err); // the child has its own copy
  endWithThisProcess(child);
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const done = (error, url) => {
      clearInterval(poll);
      child.removeListener('exit', onExit);
      const message = error && `${error}${tail(log)}`;
      // The scratch directory goes now, the default log with it: the server keeps writing to the unlinked file,
      // which is freed when it exits, so nothing is left in the temporary directory however the caller ends.
      rmSync(dir, { recursive: true, force: true });
      if (message) {
        stop().then(() => reject(new Error(message)));
      } else {
        resolve({ url, pid: child.pid ?? -1, stop });
      }
    };
    const onExit = (code, signal) => done(`the local cloud exited (${signal ?? `code ${code}`}) before listening`);
    child.once('exit', onExit);
    const poll = setInterval(() => {
      const url = existsSync(urlFile) ? readFileSync(urlFile, 'utf8').trim() : '';
      if (url) done(undefined, url);
      else if (Date.now() - started > timeoutMs) done(`the local cloud did not start within ${timeoutMs / 1000} s`);
    }, 50);
  });
}

module.exports = { startLocalCloud };
