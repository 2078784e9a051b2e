import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

/** The logging surface the runtime and the resource cores use: structured JSON lines. */
export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** One Powertools logger per function, configured once (level from POWERTOOLS_LOG_LEVEL, default INFO). */
export function createLogger(serviceName: string): Logger {
  const logger = new PowertoolsLogger({ serviceName });
  return {
    debug: (m, e) => logger.debug(m, e ?? {}),
    info: (m, e) => logger.info(m, e ?? {}),
    warn: (m, e) => logger.warn(m, e ?? {}),
    error: (m, e) => logger.error(m, e ?? {}),
  };
}
