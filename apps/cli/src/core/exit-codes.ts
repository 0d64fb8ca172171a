/**
 * Exit codes of the `strata` command. Scripts rely on them, so they never change meaning; new ones
 * are only ever added. docs/cli.md lists them.
 */
export const ExitCode = {
  /** The command did what it was asked. */
  OK: 0,
  /** The broker refused or failed the operation (TOPIC_ALREADY_EXISTS, UNKNOWN_TOPIC_OR_PARTITION...). */
  FAILED: 1,
  /** Bad arguments or options: nothing was sent to a broker. */
  USAGE: 2,
  /** No broker could be reached (refused, unreachable, not a Strata broker, or the connection was lost). */
  NO_BROKER: 3,
  /** A one-shot command was interrupted by SIGINT (128 + 2). */
  SIGINT: 130,
  /** A one-shot command was interrupted by SIGTERM (128 + 15). */
  SIGTERM: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
