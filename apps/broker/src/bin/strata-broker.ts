#!/usr/bin/env node
/**
 * strata-broker: runs a broker until SIGTERM or SIGINT, then shuts down gracefully (finish
 * in-flight requests, flush, close files) and exits 0.
 *
 * Settings come from (lowest to highest precedence) defaults, a JSON file (--config), STRATA_*
 * environment variables and flags (--<setting> <value>). An invalid setting prints what is wrong
 * and what is allowed, and exits 2; so does a usage error (an unknown flag, an extra argument).
 */
import { Command, CommanderError } from 'commander';
import { Broker } from '../broker';
import { BROKER_SETTINGS, envName, readConfigFile, resolveBrokerConfig, type ConfigInput } from '../config/broker-config';
import { ConfigError } from '../config/settings';
import { createLogger } from '../util/logger';
import { BROKER_VERSION } from '../version';

const EXIT_CONFIG = 2;
const EXIT_FAILURE = 1;

async function main(): Promise<void> {
  const program = new Command('strata-broker')
    .description('Run a Strata broker. Every setting can also be given as a STRATA_* environment variable (e.g. STRATA_LOG_SEGMENT_BYTES).')
    .version(BROKER_VERSION)
    .option('-c, --config <file>', 'JSON file of settings ({ "setting.name": value })')
    .allowExcessArguments(false)
    .exitOverride();
  for (const def of BROKER_SETTINGS) {
    program.option(`--${def.key} <value>`, `${def.doc} Allowed: ${def.allowed}. Default: ${JSON.stringify(def.default)}. Env: ${envName(def.key)}.`);
  }
  try {
    program.parse(process.argv);
  } catch (e) {
    // Commander printed the help, the version or the usage error (unknown option, extra argument).
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : EXIT_CONFIG);
    throw e;
  }
  const opts = program.opts<Record<string, string>>();
  const flags: ConfigInput = {};
  for (const def of BROKER_SETTINGS) if (opts[def.key] !== undefined) flags[def.key] = opts[def.key]!;

  // Signals are handled from the start: one that arrives while the broker is still starting
  // stops it as soon as it has started (never a half-started broker killed by the default action).
  let broker: Broker | null = null;
  let stopSignal: string | null = null;
  let stopping = false;
  const stop = (signal: string) => {
    if (!broker) {
      stopSignal ??= signal;
      return;
    }
    const b = broker;
    if (stopping) {
      b.logger.warn({ signal }, 'second signal: exiting without finishing shutdown');
      process.exit(EXIT_FAILURE);
    }
    stopping = true;
    b.logger.info({ signal }, 'signal received');
    b.close().then(
      () => process.exit(0),
      (err: unknown) => {
        b.logger.error({ err }, 'shutdown failed');
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // SIGHUP reloads the TLS certificate files without dropping the listener.
  process.on('SIGHUP', () => {
    if (broker) broker.reloadCertificates();
  });
  process.on('uncaughtException', (err) => {
    if (broker) broker.logger.fatal({ err }, 'uncaught exception; exiting (the log recovers on restart)');
    else process.stderr.write(`strata-broker: uncaught exception: ${err.stack ?? String(err)}\n`);
    process.exit(EXIT_FAILURE);
  });

  try {
    const config = resolveBrokerConfig({
      file: opts['config'] ? readConfigFile(opts['config']) : undefined,
      env: process.env,
      flags,
    });
    const format = config.logFormat === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : config.logFormat;
    broker = await Broker.startWithConfig(config, { logger: createLogger(config.logLevel, undefined, format), processMetrics: true });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`strata-broker: ${e.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    process.stderr.write(`strata-broker: failed to start: ${(e as Error).message}\n`);
    process.exit(EXIT_FAILURE);
  }
  if (stopSignal) stop(stopSignal);
}

void main();
