// Errors that Machina raises on purpose: each has a stable code, a one-line message and, where an
// input caused it, the name of the field, so every surface (CLI, API, MCP) can report it the same way.

export type MachinaErrorParameters = {
  /** Stable machine-readable code, e.g. `INVALID_SETTING`. */
  code: string;
  /** The input (setting, flag, argument, body field) at fault, if any. */
  field?: string | undefined;
  /** Structured context; never contains key material. */
  details?: Record<string, unknown> | undefined;
  cause?: unknown;
};

export class MachinaError extends Error {
  override name = 'MachinaError';
  readonly code: string;
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, { code, field, details, cause }: MachinaErrorParameters) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.field = field;
    this.details = details;
  }

  toJSON() {
    return { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) };
  }
}

/** A setting (flag, env variable or file) has a wrong value. */
export class InvalidSettingError extends MachinaError {
  override name = 'InvalidSettingError';
  constructor(setting: string, reason: string) {
    super(`${setting}: ${reason}`, { code: 'INVALID_SETTING', field: setting });
  }
}

/** A command or API argument has a wrong value. */
export class InvalidArgumentError extends MachinaError {
  override name = 'InvalidArgumentError';
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`, { code: 'INVALID_ARGUMENT', field });
  }
}

/** Something that should exist on chain (a deployment, an agent, a request) does not. */
export class NotFoundError extends MachinaError {
  override name = 'NotFoundError';
  constructor(what: string, field?: string) {
    super(`${what} not found`, { code: 'NOT_FOUND', field });
  }
}
