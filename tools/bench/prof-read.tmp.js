// scratch (not committed): fill a data dir, restart the broker with --cpu-prof, read back with defaults
const { mkdtempSync, mkdirSync } = require('node:fs');
const { BrokerProcess, freePort } = require('@strata/tools-kit');
const { fillTopic } = require('./dist/bench-topic');
const { Strata, silentLogger } = require('@strata/client');
const [records, size, profDir, dataArg] = [Number(process.argv[2] || 300000), Number(process.argv[3] || 1000), process.argv[4] || '', process.argv[5]];
(async () => {
  const dataDir = dataArg || mkdtempSync('/tmp/strata-prof-');
  const port = await freePort();
  if (!dataArg) {
    const b = new BrokerProcess({ dataDir, port, settings: { durability: 'fsync' } });
    await b.start(); await fillTopic(b.url, 't', 1, records, size); await b.stop();
  }
  if (profDir) mkdirSync(profDir, { recursive: true });
  const b = new BrokerProcess({ dataDir, port, settings: { durability: 'fsync' }, inheritOutput: !!process.env.NODEARGS, nodeArgs: process.env.NODEARGS ? process.env.NODEARGS.split(' ') : profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] });
  await b.start();
  const strata = new Strata({ brokers: [b.url], logger: silentLogger });
  const consumer = strata.consumer({ groupId: 'g' + Date.now(), ...(process.env.COPTS ? JSON.parse(process.env.COPTS) : {}) });
  await consumer.connect(); consumer.subscribe({ topics: ['t'], fromBeginning: true });
  let seen = 0, done; const fin = new Promise(r => done = r);
  const s0 = b.cpuSeconds(); const c0 = process.cpuUsage(); const t0 = performance.now(); let t1 = 0;
  await consumer.run({ eachBatch: ({ batch }) => { seen += batch.messages.length; if (seen >= records && !t1) { t1 = performance.now(); done(); } } });
  await fin;
  const secs = (t1 - t0) / 1000; const cu = process.cpuUsage(c0); const sc = b.cpuSeconds() - s0;
  console.log(JSON.stringify({ dataDir, MBps: +(records * size / secs / 1e6).toFixed(1), msgsps: Math.round(records / secs), brokerCpuPerGB: +(sc / (records * size / 1e9)).toFixed(2), clientCpuPerGB: +((cu.user + cu.system) / 1e6 / (records * size / 1e9)).toFixed(2) }));
  await consumer.disconnect(); await b.stop();
})().catch(e => { console.error(e); process.exit(1); });
