/** Errors of @strata/cfn-model. Each names the template element at fault and what would fix it. */

export class TemplateLoadError extends Error {
  constructor(file: string, options?: { cause?: unknown }) {
    super(`cannot load template ${file}: ${describeCause(options?.cause)}`, options);
    this.name = 'TemplateLoadError';
  }
}

export class MissingParameterError extends Error {
  constructor(parameter: string, where: string) {
    super(`parameter ${parameter} of ${where} has no value and no Default: pass it in the parameter overrides`);
    this.name = 'MissingParameterError';
  }
}

export class UnresolvableError extends Error {
  constructor(what: string, where: string) {
    super(
      `cannot resolve ${what} in ${where} without deploying: only parameters, mappings and pseudo parameters are known`,
    );
    this.name = 'UnresolvableError';
  }
}

export class SamConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SamConfigError';
  }
}

/** A template that breaks a rule CloudFormation applies before it creates anything (the message is the rule). */
export class InvalidTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTemplateError';
  }
}

/** A generated Markdown block that cannot be rendered, or a marker that names no known block. */
export class DocsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DocsError';
  }
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
