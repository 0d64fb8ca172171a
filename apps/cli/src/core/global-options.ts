/**
 * Options every command accepts (`strata --brokers ... topics list`, or after the command name).
 * Defaults come from the environment here, and only here: STRATA_BROKERS, STRATA_CLIENT_ID.
 */
import { Option, type Command } from 'commander';
import { brokerList, integer } from './parsers';

export const DEFAULT_BROKERS = 'ws://127.0.0.1:9092';
export const DEFAULT_CLIENT_ID = 'strata-cli';
export const DEFAULT_TIMEOUT_MS = 30_000;

/** The global options after parsing. */
export interface GlobalOptions {
  /** Bootstrap broker URLs. */
  brokers: string[];
  clientId: string;
  /** Request timeout, and how long connecting may take, in milliseconds. */
  timeoutMs: number;
  /** Print data as JSON instead of text. */
  json: boolean;
}

/** Adds the global options to the root command. */
export function addGlobalOptions(program: Command): void {
  program
    .addOption(
      new Option('-b, --brokers <urls>', 'comma-separated brokers: host:port, ws:// or wss:// URLs')
        .env('STRATA_BROKERS')
        .default(brokerList(DEFAULT_BROKERS), DEFAULT_BROKERS)
        .argParser(brokerList),
    )
    .addOption(new Option('--client-id <id>', 'client id sent with every request').env('STRATA_CLIENT_ID').default(DEFAULT_CLIENT_ID))
    .addOption(
      new Option('--timeout <ms>', 'how long to wait for a broker to connect and to answer a request')
        .default(DEFAULT_TIMEOUT_MS)
        .argParser(integer(1)),
    )
    .addOption(new Option('--json', 'print data as JSON (one document, or one object per line for streams)'));
}

/** Reads the global options as parsed by commander (defaults filled in). */
export function readGlobalOptions(command: Command): GlobalOptions {
  const o = command.optsWithGlobals<{ brokers: string[]; clientId: string; timeout: number; json: boolean }>();
  return { brokers: o.brokers, clientId: o.clientId, timeoutMs: o.timeout, json: o.json === true };
}
