// Preloaded (node -r) into the Lambda processes the local cloud runs, and into `npm run invoke` against a local
// cloud: their network to the emulated endpoints. A connection to an RDS or ALB endpoint name the local cloud
// handed out goes to the local server behind it (dataplane.py writes the table), and for those names only, the
// local cloud's CA is trusted in addition to what the code itself trusts; any other *.amazonaws.com name fails as
// an unknown host without a DNS query. Nothing else changes: other hosts, other certificates, the function's own
// checks (hostname, chain, TLS version) run as they do on AWS.
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');

const ROUTES = process.env.STRATA_LOCAL_CLOUD_ROUTES;
const CA = process.env.STRATA_LOCAL_CLOUD_CA;

function table() {
  try {
    return JSON.parse(fs.readFileSync(ROUTES, 'utf8'));
  } catch {
    return { routes: {}, unavailable: {} };
  }
}

function hostsOf(entries) {
  return new Set(Object.keys(entries).map((k) => k.slice(0, k.lastIndexOf(':'))));
}

function isEmulated(host) {
  if (!host) return false;
  const t = table();
  return hostsOf(t.routes).has(host) || hostsOf(t.unavailable).has(host);
}

/** Where a connection to host:port really goes, or why it cannot. */
function resolveRoute(host, port) {
  // "localhost." and every name under it are the loopback address (RFC 6761 section 6.3); glibc without
  // systemd-resolved does not know the names under it, which S3 Control's <account>.localhost endpoint needs.
  if (host === 'localhost' || String(host).endsWith('.localhost')) return { host: '127.0.0.1', port };
  const t = table();
  const key = `${host}:${port}`;
  if (t.routes[key]) return { host: '127.0.0.1', port: t.routes[key].port };
  if (t.unavailable[key]) return { error: `local cloud: nothing answers on ${key}: ${t.unavailable[key]}` };
  // An AWS name the local cloud did not hand out (a sample event's made-up endpoint, a deleted instance) is not
  // looked up in the real DNS: nothing an emulated function asks for leaves the machine.
  if (/\.amazonaws\.com(\.cn)?\.?$/i.test(String(host)))
    return { error: `local cloud: no endpoint ${key} was created here (getaddrinfo ENOTFOUND ${host})` };
  return undefined;
}

function failingLookup(message) {
  return (_host, _options, callback) => {
    const error = new Error(message);
    error.code = 'ENOTFOUND';
    callback(error);
  };
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function strataConnect(...args) {
  const first = args[0];
  const options = Array.isArray(first) ? first[0] : first !== null && typeof first === 'object' ? first : undefined;
  if (options && options.host !== undefined && options.port !== undefined && !options.path) {
    const route = resolveRoute(options.host, Number(options.port));
    if (route?.error) options.lookup = failingLookup(route.error);
    else if (route) Object.assign(options, route);
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const host = typeof args[1] === 'string' ? args[1] : 'localhost';
    const route = resolveRoute(host, Number(first));
    if (route && !route.error) {
      args[0] = route.port;
      args[1] = route.host;
    }
  }
  return connect.apply(this, args);
};

const tlsConnect = tls.connect;
tls.connect = function strataTlsConnect(...args) {
  const options = args.find((a) => a !== null && typeof a === 'object' && !Array.isArray(a));
  if (options && (isEmulated(options.host) || isEmulated(options.servername))) {
    const local = fs.readFileSync(CA, 'utf8');
    if (options.secureContext) options.secureContext.context.addCACert(local);
    else options.ca = [...[options.ca ?? tls.rootCertificates].flat(), local];
  }
  return tlsConnect.apply(this, args);
};
