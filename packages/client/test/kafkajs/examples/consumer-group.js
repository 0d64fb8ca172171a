// KafkaJS docs/GettingStarted.md and docs/ConsumerExample.md: two members of one group share the
// topic's partitions; every message is consumed once, `message.value.toString()` is the text.
const assert = require('node:assert/strict')
const { Kafka, logLevel } = require('@strata/client/kafkajs')

const kafka = new Kafka({
  logLevel: logLevel.WARN,
  brokers: [process.env.KAFKA_BROKER],
  clientId: 'example-consumer',
})
const topic = process.env.TOPIC
const COUNT = 30

const run = async () => {
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] })
  await admin.disconnect()

  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: COUNT }, (_, i) => ({ key: `key-${i}`, value: JSON.stringify({ n: i }) })) })
  await producer.disconnect()

  const seen = new Map()
  let resolveAll
  const all = new Promise((resolve) => (resolveAll = resolve))
  const member = async (name) => {
    const consumer = kafka.consumer({ groupId: 'test-group' })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const prefix = `${topic}[${partition} | ${message.offset}] / ${message.timestamp}`
        const { n } = JSON.parse(message.value.toString())
        assert.equal(message.key.toString(), `key-${n}`)
        assert.ok(!seen.has(n), `${prefix} ${message.key}#${message.value} delivered twice`)
        seen.set(n, name)
        if (seen.size === COUNT) resolveAll()
      },
    })
    return consumer
  }
  const consumers = [await member('a'), await member('b')]
  await all
  const group = await consumers[0].describeGroup()
  assert.equal(group.groupId, 'test-group')
  assert.equal(group.protocolType, 'consumer')
  await Promise.all(consumers.map((c) => c.disconnect()))
  console.log(JSON.stringify({ consumed: seen.size, members: group.members.length }))
  console.log('OK')
}

run().catch((e) => {
  console.error(`[example/consumer] ${e.message}`, e)
  process.exit(1)
})
