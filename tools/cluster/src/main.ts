/**
 * `npm run cluster -- --brokers 3`: a replicated Strata cluster on this machine — etcd and N
 * broker processes on loopback, data under ./data/cluster — for trying replication, failover and
 * the CLI against a cluster. Prints the broker URLs; Ctrl-C (or SIGTERM) stops every broker
 * (controlled shutdown) and etcd. Installs Debian's etcd-server with apt-get when `etcd` is
 * missing (as root), as .ci/run does.
 *
 *   --brokers <n>        brokers to start (default 3)
 *   --data-dir <dir>     where etcd and the brokers keep their data (default ./data/cluster)
 *   --base-port <port>   broker i listens on base-port + i - 1 (default 9092)
 *   --etcd-port <port>   etcd's client port (default 2379; its peer port is the next one)
 *   --fresh              delete the data folder first
 *   --set key=value      a broker setting for every broker (repeatable)
 *   --secure             SCRAM-SHA-512 required and ACLs enforced; brokers authenticate to each
 *                        other as User:broker (in super.users, with User:admin), its password in
 *                        <data-dir>/broker.password (made once, mode 0600)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BrokerProcess, EtcdProcess } from '@strata/tools-kit';

function ensureEtcd(): void {
  if (spawnSync('sh', ['-c', 'command -v etcd']).status === 0) return;
  console.log('etcd is not installed: installing Debian\'s etcd-server with apt-get');
  const run = (args: string[]) => spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (run(['update', '-qq']).status !== 0 || run(['install', '-y', '-qq', 'etcd-server']).status !== 0) {
    throw new Error('could not install etcd-server: install it yourself (apt-get install etcd-server), or put etcd 3.4+ on PATH');
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string', default: '3' },
      'data-dir': { type: 'string', default: './data/cluster' },
      'base-port': { type: 'string', default: '9092' },
      'etcd-port': { type: 'string', default: '2379' },
      fresh: { type: 'boolean', default: false },
      set: { type: 'string', multiple: true, default: [] },
      secure: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const count = Number(values.brokers);
  const basePort = Number(values['base-port']);
  if (!Number.isInteger(count) || count < 1 || count > 50) throw new Error(`--brokers must be an integer from 1 to 50, got ${values.brokers}`);
  if (!Number.isInteger(basePort) || basePort < 1 || basePort + count > 65535) throw new Error(`--base-port must be a port number, got ${values['base-port']}`);
  const settings: Record<string, string> = {};
  for (const kv of values.set) {
    const at = kv.indexOf('=');
    if (at <= 0) throw new Error(`--set expects key=value, got "${kv}"`);
    settings[kv.slice(0, at)] = kv.slice(at + 1);
  }
  const dataDir = resolve(values['data-dir']);
  if (values.fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  ensureEtcd();
  const passwordFile = resolve(dataDir, 'broker.password');
  if (values.secure) {
    if (!existsSync(passwordFile)) writeFileSync(passwordFile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
    Object.assign(settings, {
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'authorizer.enable': 'true',
      'super.users': 'User:broker;User:admin',
      'inter.broker.sasl.username': 'broker',
      'inter.broker.sasl.password.file': passwordFile,
      ...settings,
    });
  }

  const etcdPort = Number(values['etcd-port']);
  // Children in their own process groups: Ctrl-C reaches only this launcher, which stops the
  // brokers first (controlled shutdown needs etcd) and etcd last.
  const etcd = new EtcdProcess({ dataDir: resolve(dataDir, 'etcd'), clientPort: etcdPort, peerPort: etcdPort + 1, detached: true });
  await etcd.start();
  console.log(`etcd        ${etcd.endpoint}   (data: ${resolve(dataDir, 'etcd')})`);
  const brokers: BrokerProcess[] = [];
  const stopAll = async () => {
    console.log('\nstopping: brokers move their leaderships away, then exit');
    await Promise.all(brokers.map((b) => b.stop().catch(() => null)));
    await etcd.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stopAll());
  process.once('SIGTERM', () => void stopAll());
  try {
    for (let id = 1; id <= count; id++) {
      const b = new BrokerProcess({
        dataDir: resolve(dataDir, `broker-${id}`),
        port: basePort + id - 1,
        detached: true,
        settings: {
          'broker.id': String(id),
          'etcd.endpoints': etcd.endpoint,
          'default.replication.factor': String(Math.min(3, count)),
          'min.insync.replicas': String(count >= 3 ? 2 : 1),
          'offsets.topic.replication.factor': String(Math.min(3, count)),
          ...settings,
        },
      });
      brokers.push(b);
    }
    await Promise.all(brokers.map((b) => b.start()));
  } catch (e) {
    await Promise.all(brokers.map((b) => b.kill()));
    await etcd.stop();
    throw e;
  }
  brokers.forEach((b, i) => console.log(`broker ${i + 1}    ${b.url}   (pid ${b.pid}, data: ${resolve(dataDir, `broker-${i + 1}`)})`));
  console.log(`\nbootstrap:  --brokers ${brokers.map((b) => b.url).join(',')}`);
  if (values.secure) {
    const auth = `STRATA_PASSWORD="$(cat ${passwordFile})" npx strata --brokers ${brokers[0]!.url} --sasl-mechanism scram-sha-512 --username broker`;
    console.log(`secured:    SCRAM-SHA-512 and ACLs; brokers authenticate as "broker" (password: ${passwordFile}, ${readFileSync(passwordFile, 'utf8').trim().length} characters)`);
    console.log(`first admin: printf %s 'admin-secret' | ${auth} users create admin`);
    console.log(`try:        STRATA_PASSWORD=admin-secret npx strata --brokers ${brokers[0]!.url} --sasl-mechanism scram-sha-512 --username admin cluster describe`);
  } else console.log(`try:        npx strata --brokers ${brokers[0]!.url} cluster describe`);
  console.log('Ctrl-C stops everything.');
}

main().catch((e: unknown) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
