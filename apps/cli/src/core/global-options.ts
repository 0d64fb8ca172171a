/**
 * Options every command accepts (`strata --brokers ... topics list`, or after the command name).
 * Defaults come from the environment here, and only here: STRATA_BROKERS, STRATA_CLIENT_ID,
 * STRATA_SASL_MECHANISM, STRATA_USERNAME, STRATA_TLS_CA/CERT/KEY (the password only ever comes from
 * STRATA_PASSWORD, never from an option: command lines are visible to other users).
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
  /** SASL mechanism, with `username` and the password from STRATA_PASSWORD. */
  saslMechanism?: 'scram-sha-256' | 'scram-sha-512';
  username?: string;
  /** PEM files for wss:// brokers. */
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
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
    .addOption(new Option('--json', 'print data as JSON (one document, or one object per line for streams)'))
    .addOption(
      new Option('--sasl-mechanism <mechanism>', 'authenticate with SASL (the password comes from STRATA_PASSWORD)')
        .choices(['scram-sha-256', 'scram-sha-512'])
        .env('STRATA_SASL_MECHANISM'),
    )
    .addOption(new Option('--username <name>', 'SASL user name').env('STRATA_USERNAME'))
    .addOption(new Option('--tls-ca <file>', 'PEM file of the CA that signed the brokers\' certificates (wss://)').env('STRATA_TLS_CA'))
    .addOption(new Option('--tls-cert <file>', 'PEM client certificate for mutual TLS').env('STRATA_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'PEM private key of --tls-cert').env('STRATA_TLS_KEY'));
}

/** Reads the global options as parsed by commander (defaults filled in). */
export function readGlobalOptions(command: Command): GlobalOptions {
  const o = command.optsWithGlobals<{
    brokers: string[];
    clientId: string;
    timeout: number;
    json: boolean;
    saslMechanism?: 'scram-sha-256' | 'scram-sha-512';
    username?: string;
    tlsCa?: string;
    tlsCert?: string;
    tlsKey?: string;
  }>();
  return {
    brokers: o.brokers,
    clientId: o.clientId,
    timeoutMs: o.timeout,
    json: o.json === true,
    saslMechanism: o.saslMechanism,
    username: o.username,
    tlsCa: o.tlsCa,
    tlsCert: o.tlsCert,
    tlsKey: o.tlsKey,
  };
}
