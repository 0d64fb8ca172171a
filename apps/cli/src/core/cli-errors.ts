/**
 * Errors the CLI raises itself, and the one mapping from any error to an exit code and the lines
 * printed on stderr. Every failure goes through `describeFailure`, so a user never sees a stack
 * trace (unless STRATA_DEBUG=1) and scripts get a stable exit code.
 */
import { StrataAggregateError, StrataConfigError, StrataConnectionError, StrataError } from '@strata/client';
import { ExitCode, type ExitCodeValue } from './exit-codes';

/** Bad arguments or options, found before anything was sent: exit code 2. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

/** No broker of the list could be reached: exit code 3. */
export class BrokerUnreachableError extends Error {
  constructor(
    readonly brokers: readonly string[],
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot connect to any broker (${brokers.join(', ')}): ${reason}`, options);
    this.name = 'BrokerUnreachableError';
  }
}

/** What to print and how to exit for a failure. */
export interface Failure {
  exitCode: ExitCodeValue;
  /** Lines for stderr, without trailing newlines. */
  lines: string[];
}

/**
 * Maps an error to its exit code and message lines:
 * - CliUsageError and invalid client options: 2;
 * - BrokerUnreachableError, or a connection lost after retries: 3;
 * - any other StrataError (an error code from the broker or the SDK): 1, printed as `CODE: message`;
 * - anything else (a bug): 1, printed as `internal error: message`.
 */
export function describeFailure(error: unknown, commandPath: string): Failure {
  if (error instanceof CliUsageError) {
    return { exitCode: ExitCode.USAGE, lines: [`error: ${error.message}`, `(see '${commandPath} --help')`] };
  }
  if (error instanceof StrataConfigError) {
    return { exitCode: ExitCode.USAGE, lines: [`error: ${error.message}`] };
  }
  if (error instanceof BrokerUnreachableError) {
    return { exitCode: ExitCode.NO_BROKER, lines: [`error: ${error.message}`] };
  }
  if (error instanceof StrataConnectionError) {
    return { exitCode: ExitCode.NO_BROKER, lines: [`error: lost connection to the broker: ${error.message}`] };
  }
  if (error instanceof StrataAggregateError) {
    return { exitCode: ExitCode.FAILED, lines: error.errors.map(strataLine) };
  }
  if (error instanceof StrataError) {
    return { exitCode: ExitCode.FAILED, lines: [strataLine(error)] };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: ExitCode.FAILED, lines: [`error: internal error: ${message}`] };
}

function strataLine(error: StrataError): string {
  return `error: ${error.code}: ${error.message}`;
}
