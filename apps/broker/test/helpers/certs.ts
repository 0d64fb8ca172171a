/**
 * Test certificates made at test time with openssl into a temp folder (never committed): a CA, a
 * server certificate for 127.0.0.1/localhost signed by it, client certificates with a given CN, and
 * a second, unrelated CA for "wrong certificate" cases.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pem {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function read(dir: string, name: string): Pem {
  return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8'), certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}

export function makeCa(dir: string, name: string): Pem {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`]);
  return read(dir, name);
}

/** A certificate for `cn` signed by `ca` (server certificates get 127.0.0.1 and localhost as names). */
export function makeCert(dir: string, ca: string, name: string, cn: string, server = false): Pem {
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, server ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' : 'extendedKeyUsage=clientAuth\n');
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', ext]);
  return read(dir, name);
}
