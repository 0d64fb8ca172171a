// KafkaJS docs/GettingStarted.md and docs/Producing.md: send, sendBatch, headers, compression, acks.
const assert = require('node:assert/strict')
const { Kafka, CompressionTypes, logLevel } = require('@strata/client/kafkajs')

const kafka = new Kafka({
  logLevel: logLevel.WARN,
  clientId: 'my-app',
  brokers: [process.env.KAFKA_BROKER],
})
const topic = process.env.TOPIC

const run = async () => {
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })
  await admin.disconnect()

  const producer = kafka.producer()
  await producer.connect()
  const sent = await producer.send({
    topic,
    messages: [
      { value: 'Hello KafkaJS user!' },
      { key: 'key1', value: 'hello world', partition: 0 },
      { key: 'key2', value: 'hey hey!', headers: { 'correlation-id': '2bfb68bb-893a-423b-a7fa-7b568cad5b67', 'system-id': 'my-system' } },
    ],
  })
  // KafkaJS resolves with one entry per partition written to.
  for (const r of sent) {
    assert.equal(r.topicName, topic)
    assert.equal(r.errorCode, 0)
    assert.match(r.baseOffset, /^\d+$/)
  }

  const gz = await producer.send({
    topic,
    compression: CompressionTypes.GZIP,
    messages: [{ key: 'key1', value: 'hello world' }, { key: 'key2', value: 'hey hey!' }],
  })
  assert.ok(gz.length >= 1)

  const topicMessages = [
    { topic, messages: [{ key: 'key', value: 'hello topic-a' }] },
    { topic, messages: [{ key: 'key', value: 'hello topic-b' }] },
  ]
  const batch = await producer.sendBatch({ topicMessages })
  assert.equal(batch.length, 1) // the same key: the same partition

  const fireAndForget = await producer.send({ topic, acks: 0, messages: [{ value: 'nobody waits for me' }] })
  assert.deepEqual(fireAndForget, [])

  await producer.disconnect()
  console.log(JSON.stringify({ partitions: sent.map((r) => r.partition).sort() }))
  console.log('OK')
}

run().catch((e) => {
  console.error(`[example/producer] ${e.message}`, e)
  process.exit(1)
})
