/** A logger that drops everything: for tests that do not assert on logs (shape of the runtime's Logger). */
export const silentLogger = {
  debug: (_message: string, _extra?: Record<string, unknown>) => undefined,
  info: (_message: string, _extra?: Record<string, unknown>) => undefined,
  warn: (_message: string, _extra?: Record<string, unknown>) => undefined,
  error: (_message: string, _extra?: Record<string, unknown>) => undefined,
};
