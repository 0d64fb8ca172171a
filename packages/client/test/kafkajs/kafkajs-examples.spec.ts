/**
 * KafkaJS example programs (examples/, from KafkaJS's documentation, with only the import changed
 * to @strata/client/kafkajs) run as a user runs them: `node program.js`, resolving
 * @strata/client/kafkajs through the package's `exports` (the built CommonJS entry), against a real
 * broker started in-process, addressed as KafkaJS addresses brokers (`127.0.0.1:<port>`, no ws://).
 * Each program asserts what it received and prints OK; the test expects exit code 0 and OK.
 * The broker auto-creates topics, as the Kafka brokers these programs were written for do.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startTestBroker, uniqueTopic, type TestBroker } from '../helpers/test-broker';

const EXAMPLES = join(__dirname, 'examples');

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker({ 'auto.create.topics.enable': true, 'group.consumer.heartbeat.interval.ms': 500 });
});

afterAll(async () => {
  await broker.stop();
});

function run(program: string, topic: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const hostPort = new URL(broker.url).host;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(EXAMPLES, program)], {
      cwd: EXAMPLES,
      env: { ...process.env, KAFKA_BROKER: hostPort, TOPIC: topic },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

it.each([
  ['producer.js', 'send, sendBatch, headers, GZIP, acks 0; RecordMetadata per partition'],
  ['consumer-group.js', 'two members of one group share the partitions; each message once; value.toString()'],
  ['each-batch.js', 'eachBatch with eachBatchAutoResolve false, resolveOffset, heartbeat, isRunning, isStale'],
  ['seek.js', 'seek right after run() (not awaited)'],
  ['pause-resume.js', 'pause() in eachMessage, throw, resume later; paused()'],
  ['admin.js', 'createTopics true/false, metadata, offsets, configs, setOffsets/resetOffsets, groups'],
])('runs the KafkaJS example %s (%s)', async (program) => {
  const r = await run(program, uniqueTopic(program.replace('.js', '')));
  if (r.code !== 0) throw new Error(`${program} exited with ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  expect(r.stdout).toMatch(/^OK$/m);
}, 60_000);
