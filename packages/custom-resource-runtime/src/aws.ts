/**
 * Configuration every Strata function gives its AWS SDK clients: the SDK's standard retry strategy
 * (exponential backoff with jitter, throttling and transient errors retried) with more attempts than
 * the default 3, because a custom resource that fails on a throttle fails the whole deployment.
 */
export const AWS_CLIENT_CONFIG = { maxAttempts: 8, retryMode: 'standard' } as const;
