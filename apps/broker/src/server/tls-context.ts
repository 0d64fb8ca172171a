/**
 * TLS for the broker's listener: loads the certificate chain, key and client CA from PEM files,
 * and reloads them without dropping the listener (tls.Server.setSecureContext) on SIGHUP
 * (Broker.reloadCertificates) and when one of the files changes (polled every second). A reload
 * that fails (a half-written file, a key that does not match) keeps the previous certificates and
 * logs an error; connections already open keep theirs.
 *
 * The principal of a verified client certificate is `User:<subject CN>` (Kafka's
 * ssl.principal.mapping.rules RULE:^CN=(.*?),.*$/$1/), or `User:<full subject>` without a CN.
 */
import { createSecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import type { SecuritySettings } from '../config/broker-config';

export function readTlsFiles(s: SecuritySettings): SecureContextOptions {
  const options: SecureContextOptions = { cert: readFileSync(s.sslCertFile), key: readFileSync(s.sslKeyFile) };
  if (s.sslCaFile) options.ca = readFileSync(s.sslCaFile);
  createSecureContext(options); // throws now if the key does not match or a file is not PEM
  return options;
}

/** The principal of a TLS socket's verified peer certificate, or null. */
export function tlsPrincipal(socket: TLSSocket): string | null {
  if (!socket.authorized) return null;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.subject) return null;
  const cn = cert.subject.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (name) return `User:${name}`;
  return `User:${Object.entries(cert.subject).map(([k, v]) => `${k}=${String(v)}`).join(',')}`;
}

/** Watches the TLS files and calls `reload` when one changes; returns a function that stops watching. */
export function watchTlsFiles(s: SecuritySettings, reload: () => void, logger: Logger): () => void {
  const files = [s.sslCertFile, s.sslKeyFile, s.sslCaFile].filter((f) => f !== '');
  let timer: NodeJS.Timeout | null = null;
  const changed = () => {
    // Certificate and key are often replaced one after the other: reload once both settled.
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      reload();
    }, 200);
    timer.unref();
  };
  for (const f of files) watchFile(f, { interval: 1000, persistent: false }, changed);
  logger.debug({ files }, 'watching TLS files for changes');
  return () => {
    if (timer) clearTimeout(timer);
    for (const f of files) unwatchFile(f, changed);
  };
}
