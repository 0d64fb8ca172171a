// KafkaJS docs/Consuming.md, Pause & Resume: a dependency throttles; the handler pauses its
// partition with pause(), throws (the message comes again), and resumes after a while.
const assert = require('node:assert/strict')
const { Kafka, logLevel } = require('@strata/client/kafkajs')

const kafka = new Kafka({ logLevel: logLevel.NOTHING, brokers: [process.env.KAFKA_BROKER], clientId: 'example-pause' })
const topic = process.env.TOPIC

class TooManyRequestsError extends Error {
  constructor() {
    super('slow down')
    this.retryAfter = 0.2
  }
}

let throttled = true
const delivered = []
const sendToDependency = async (message) => {
  if (message.value.toString() === 'job-2' && throttled) {
    throttled = false
    throw new TooManyRequestsError()
  }
  delivered.push(message.value.toString())
}

const run = async () => {
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `job-${i}` })) })
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: 'pause-group' })
  let pausedSeen = null
  let done
  const finished = new Promise((resolve) => (done = resolve))
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })

  await consumer.run({ eachMessage: async ({ topic, message, pause }) => {
    try {
      await sendToDependency(message)
      if (delivered.length === 5) done()
    } catch (e) {
      if (e instanceof TooManyRequestsError) {
        const resumeThisPartition = pause()
        pausedSeen = consumer.paused()
        // Other partitions that are paused will continue to be paused
        setTimeout(resumeThisPartition, e.retryAfter * 1000)
      }

      throw e
    }
  }})
  await finished
  await consumer.disconnect()
  assert.deepEqual(pausedSeen, [{ topic, partitions: [0] }])
  assert.deepEqual(delivered, ['job-0', 'job-1', 'job-2', 'job-3', 'job-4'])
  console.log('OK')
}

run().catch((e) => {
  console.error(`[example/pause-resume] ${e.message}`, e)
  process.exit(1)
})
