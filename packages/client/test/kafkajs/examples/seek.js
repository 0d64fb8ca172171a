// KafkaJS docs/Consuming.md, Seek: "you don't need to await consumer#run", then seek.
const assert = require('node:assert/strict')
const { Kafka, logLevel } = require('@strata/client/kafkajs')

const kafka = new Kafka({ logLevel: logLevel.WARN, brokers: [process.env.KAFKA_BROKER], clientId: 'example-seek' })
const topic = process.env.TOPIC

const run = async () => {
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ value: `m${i}` })) })
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: 'seek-group' })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })

  const offsets = []
  let done
  const finished = new Promise((resolve) => (done = resolve))
  // you don't need to await consumer#run
  consumer.run({
    eachMessage: async ({ topic, message }) => {
      offsets.push(Number(message.offset))
      if (message.offset === '19') done()
    },
  })
  consumer.seek({ topic, partition: 0, offset: '15' })
  await finished
  await consumer.disconnect()
  assert.deepEqual(offsets, [15, 16, 17, 18, 19])
  console.log('OK')
}

run().catch((e) => {
  console.error(`[example/seek] ${e.message}`, e)
  process.exit(1)
})
