// One Lambda execution environment of a Node.js function, as the runtime keeps it: the handler's module is loaded
// once (the Init phase), then each invocation arrives as one JSON line on stdin ({event, requestId, deadline}), runs
// with a context that has its own deadline, and ends with one line on stdout that starts with END and carries how it
// ended. Started and reused by invoker.py; the handler answers CloudFormation itself through the event's ResponseURL.
// What the handler prints (stdout and stderr, one pipe) goes to the function's log, the END lines excepted.
// A handler that throws ends its invocation with the error and the environment stays, as the runtime reports a
// function error and takes the next event; a crash (an uncaught exception outside the handler, process.exit) ends
// the environment, and Lambda resets it (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
'use strict';
const path = require('node:path');
const readline = require('node:readline');

const END = '\u001estrata-invocation-end ';
// (the last argument, the local cloud's own directory, is read by no one here: it names the environment's owner in its
// command line, for workdir.reap_stale)
const [dir, handlerSpec, functionArn, memory, compileCache] = process.argv.slice(2);
// The local cloud's, not Lambda's: V8's code for the modules the Init phase loads, kept for the run's other
// environments (Node checks each entry against the module's text and its own version, and compiles afresh on any
// difference). Written once the handler's module is loaded: an environment usually ends by a signal, which skips the
// write Node otherwise does at exit. https://nodejs.org/api/module.html#module-compile-cache
const { enableCompileCache, flushCompileCache } = require('node:module'); // Node 22.1 and later
if (compileCache && enableCompileCache) enableCompileCache(compileCache);
const dot = handlerSpec.lastIndexOf('.');
const handler = require(path.join(dir, handlerSpec.slice(0, dot)))[handlerSpec.slice(dot + 1)];
if (compileCache && flushCompileCache) flushCompileCache();
if (typeof handler !== 'function') {
  console.error(JSON.stringify({ level: 'ERROR', message: `handler ${handlerSpec} is not a function in ${dir}` }));
  process.exit(3);
}

async function invoke({ event, requestId, deadline }) {
  const context = {
    awsRequestId: requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: memory,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    await handler(event, context);
    return { ok: true };
  } catch (error) {
    console.error(JSON.stringify({ level: 'ERROR', errorType: error?.name, errorMessage: error?.message }));
    return { ok: false, errorType: error?.name ?? 'Error' };
  }
}

(async () => {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const ended = await invoke(JSON.parse(line));
    process.stdout.write(`${END}${JSON.stringify(ended)}\n`); // a pipe: written before the next line is read
  }
})();
