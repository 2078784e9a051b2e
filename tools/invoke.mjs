#!/usr/bin/env node
// Runs a built custom-resource function with an event from events/ and prints the response it sent to
// CloudFormation: `sam local invoke` for machines without Docker.
//
//   npm run invoke -- <function> <event.json> [--local-cloud | --endpoint URL] [--region R] [--timeout S]
//
// <function> is a package under packages/ with a Makefile (az-discovery, rds-engine-version, default-sg-lockdown,
// deletion-protection, empty-bucket-on-delete, tls-verification; the account layer's iam-password-policy,
// ebs-default-encryption, s3-account-public-access-block). The event's ResponseURL is replaced by a listener on 127.0.0.1 that records the PUT,
// so the answer is shown here whatever URL the event carries. AWS calls go to --endpoint, to a local cloud
// started for the run (--local-cloud), or to the account the standard AWS variables point at. With
// --local-cloud, what the sample acts on is created there first (events/prerequisites/<function>.yaml).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const { startLocalCloud } = createRequire(import.meta.url)('../local-cloud/launch.cjs');

function usage(message) {
  console.error(
    `${message}\nusage: npm run invoke -- <function> <event.json> [--local-cloud | --endpoint URL] [--region R] [--timeout S]`,
  );
  process.exit(64);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'local-cloud': { type: 'boolean', default: false },
    endpoint: { type: 'string' },
    region: { type: 'string', default: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1' },
    timeout: { type: 'string', default: '60' },
  },
});
const [fn, eventFile] = positionals;
if (!fn || !eventFile) usage('missing <function> or <event.json>');
const bundle = join(ROOT, 'packages', fn, 'dist', 'index.js');
if (!existsSync(bundle))
  usage(`${bundle} does not exist: is "${fn}" a function package, and did you run \`npx turbo run build\`?`);
let event;
try {
  event = JSON.parse(readFileSync(resolve(eventFile), 'utf8'));
} catch (error) {
  usage(`cannot read the event ${eventFile}: ${error.message}`);
}

const cloud = values['local-cloud'] ? await startLocalCloud() : undefined;
const endpoint = values.endpoint ?? cloud?.url;
process.env.AWS_REGION = values.region;
if (endpoint) {
  process.env.AWS_ENDPOINT_URL = endpoint;
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  const url = new URL(endpoint);
  if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') {
    // S3 Control puts the account ID in front of the endpoint host, which an IP address cannot carry: as in the
    // local cloud's own Lambda processes, the SDK gets localhost and <account>.localhost resolves to loopback.
    process.env.AWS_ENDPOINT_URL_S3_CONTROL = `${url.protocol}//localhost:${url.port}`;
    // The data plane of that cloud (a kept one too): the deployed databases and listeners, reached as its own
    // functions reach them, and no DNS query for an AWS name it did not create.
    const plane = await fetch(new URL('/_strata/dataplane', endpoint)).then(
      (r) => (r.ok ? r.json() : undefined),
      () => undefined,
    );
    if (plane) {
      process.env.STRATA_LOCAL_CLOUD_ROUTES = plane.routesFile;
      process.env.STRATA_LOCAL_CLOUD_CA = plane.ca;
    }
    createRequire(import.meta.url)('../local-cloud/strata_local_cloud/lambda_runtime/dataplane_hook.cjs');
  }
}

// A fresh local cloud has none of what some samples act on (a VPC's default group, a load balancer and a database):
// events/prerequisites/<function>.yaml creates it there first, and its outputs replace the event's made-up IDs.
const prerequisites = join(ROOT, 'events', 'prerequisites', `${fn}.yaml`);
if (cloud && existsSync(prerequisites)) {
  const made = spawnSync(
    join(ROOT, '.venv', 'bin', 'python'),
    [join(ROOT, 'tools', 'prerequisites.py'), '--endpoint', cloud.url, '--region', values.region, prerequisites],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) {
    await cloud.stop();
    console.error(`creating the sample's prerequisites (${prerequisites}) failed:\n${made.stderr}`);
    process.exit(1);
  }
  const outputs = JSON.parse(made.stdout);
  Object.assign(event.ResourceProperties, outputs);
  const given = Object.entries(outputs).map(([k, v]) => `${k}=${v}`);
  console.log(
    `prerequisites: events/prerequisites/${fn}.yaml created in the local cloud; the event now has ${given.join(', ')}`,
  );
}

// A listener stands in for CloudFormation's presigned URL and records what the function PUTs.
const received = [];
const listener = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.end();
  });
});
await new Promise((r) => listener.listen(0, '127.0.0.1', r));
event.ResponseURL = `http://127.0.0.1:${listener.address().port}/response?X-Amz-Signature=local`;

const deadline = Date.now() + Number(values.timeout) * 1000;
const { handler } = createRequire(import.meta.url)(bundle);
try {
  await handler(event, { getRemainingTimeInMillis: () => deadline - Date.now(), awsRequestId: 'local-invoke' });
} finally {
  listener.close();
  await cloud?.stop();
}

if (received.length !== 1) {
  console.error(`the function sent ${received.length} responses; CloudFormation expects exactly one`);
  process.exit(1);
}
const [{ headers, body }] = received;
const response = JSON.parse(body);
console.log(
  `response sent to CloudFormation (${headers['content-length']} bytes${endpoint ? `, AWS at ${endpoint}` : ''}):`,
);
console.log(JSON.stringify(response, null, 2));
process.exit(response.Status === 'SUCCESS' ? 0 : 2);
