// KafkaJS docs/Consuming.md, eachBatch: eachBatchAutoResolve false, resolveOffset, heartbeat,
// isRunning, isStale. The handler stops half-way through the first batch it gets: only resolved
// offsets count, so the group's committed offset is the one after the last resolved message.
const assert = require('node:assert/strict')
const { Kafka, logLevel } = require('@strata/client/kafkajs')

const kafka = new Kafka({ logLevel: logLevel.WARN, brokers: [process.env.KAFKA_BROKER], clientId: 'example-batch' })
const topic = process.env.TOPIC

const run = async () => {
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: `m${i}` })) })
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: 'batch-group' })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const processed = []
  let stopAfter = 4
  let done
  const finished = new Promise((resolve) => (done = resolve))
  const processMessage = async (message) => processed.push(message.value.toString())
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      for (let message of batch.messages) {
        if (!isRunning() || isStale()) break
        await processMessage(message)
        resolveOffset(message.offset)
        await heartbeat()
        if (--stopAfter === 0) break // leaves the rest of the batch unresolved
      }
      if (processed.length >= 10) done()
    },
  })
  await finished
  await consumer.disconnect()
  // The unresolved messages were delivered again, after the resolved ones, and nothing was skipped.
  assert.deepEqual(processed, Array.from({ length: 10 }, (_, i) => `m${i}`))

  const admin = kafka.admin()
  await admin.connect()
  const [offsets] = await admin.fetchOffsets({ groupId: 'batch-group', topics: [topic] })
  await admin.disconnect()
  assert.deepEqual(offsets.partitions.map((p) => p.offset), ['10'])
  console.log('OK')
}

run().catch((e) => {
  console.error(`[example/each-batch] ${e.message}`, e)
  process.exit(1)
})
