// Runs one Lambda handler the way the Node.js runtime does: the event on stdin, a context with the
// function's deadline, the handler's result on stdout. Started by custom.py for each custom-resource
// request; the handler answers CloudFormation itself through the event's ResponseURL.
'use strict';
const path = require('node:path');

const [dir, handlerSpec, timeoutMs, functionArn, memory] = process.argv.slice(2);
const dot = handlerSpec.lastIndexOf('.');
const file = path.join(dir, handlerSpec.slice(0, dot));
const name = handlerSpec.slice(dot + 1);
const deadline = Date.now() + Number(timeoutMs);

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', async () => {
  const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const handler = require(file)[name];
  if (typeof handler !== 'function') {
    console.error(JSON.stringify({ level: 'ERROR', message: `handler ${handlerSpec} is not a function in ${dir}` }));
    process.exit(3);
  }
  const context = {
    awsRequestId: event.RequestId,
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
    const result = await handler(event, context);
    process.stdout.write(`${JSON.stringify({ result: result ?? null })}\n`);
    process.exit(0);
  } catch (error) {
    console.error(JSON.stringify({ level: 'ERROR', errorType: error?.name, errorMessage: error?.message }));
    process.exit(2);
  }
});
