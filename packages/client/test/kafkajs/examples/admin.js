// KafkaJS docs/Admin.md: topics, metadata, offsets, configs and groups.
const assert = require('node:assert/strict')
const { Kafka, logLevel, ConfigResourceTypes, KafkaJSNotImplemented } = require('@strata/client/kafkajs')

const kafka = new Kafka({ logLevel: logLevel.WARN, brokers: [process.env.KAFKA_BROKER], clientId: 'test-admin-id' })
const topic = process.env.TOPIC

const run = async () => {
  const admin = kafka.admin()
  await admin.connect()

  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '86400000' }] }], waitForLeaders: true }), true)
  assert.equal(await admin.createTopics({ topics: [{ topic }] }), false) // exists already
  assert.ok((await admin.listTopics()).includes(topic))

  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
  assert.deepEqual(topics[0].partitions.map((p) => p.partitionId), [0, 1])

  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 0 }, { value: 'c', partition: 1 }] })
  await producer.disconnect()

  const offsets = await admin.fetchTopicOffsets(topic)
  assert.deepEqual(offsets.map(({ partition, offset, high, low }) => ({ partition, offset, high, low })), [
    { partition: 0, offset: '2', high: '2', low: '0' },
    { partition: 1, offset: '1', high: '1', low: '0' },
  ])
  const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() + 60_000)
  assert.deepEqual(byTime, [{ partition: 0, offset: '2' }, { partition: 1, offset: '1' }])

  const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }] })
  assert.deepEqual(configs.resources[0].configEntries.map((c) => [c.configName, c.configValue, c.isDefault]), [['retention.ms', '86400000', false]])
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] })
  const after = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] })
  const entries = Object.fromEntries(after.resources[0].configEntries.map((c) => [c.configName, c]))
  assert.equal(entries['cleanup.policy'].configValue, 'compact')
  assert.equal(entries['retention.ms'].isDefault, true) // AlterConfigs replaces the whole set

  await admin.setOffsets({ groupId: 'admin-group', topic, partitions: [{ partition: 0, offset: '1' }, { partition: 1, offset: '1' }] })
  const fetched = await admin.fetchOffsets({ groupId: 'admin-group', topics: [topic] })
  assert.deepEqual(fetched, [{ topic, partitions: [{ partition: 0, offset: '1', metadata: null }, { partition: 1, offset: '1', metadata: null }] }])
  await admin.resetOffsets({ groupId: 'admin-group', topic, earliest: true })
  const reset = await admin.fetchOffsets({ groupId: 'admin-group', topics: [topic] })
  assert.deepEqual(reset[0].partitions.map((p) => p.offset), ['0', '0'])

  const { groups } = await admin.listGroups()
  assert.ok(groups.some((g) => g.groupId === 'admin-group' && g.protocolType === 'consumer'))
  const described = await admin.describeGroups(['admin-group'])
  assert.equal(described.groups[0].state, 'Empty')
  assert.deepEqual(await admin.deleteGroups(['admin-group']), [{ groupId: 'admin-group', errorCode: 0 }])

  const cluster = await admin.describeCluster()
  assert.equal(cluster.brokers.length, 1)

  // What Strata does not have fails loudly, naming the operation.
  await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] }), (e) => e instanceof KafkaJSNotImplemented && /createPartitions/.test(e.message))

  await admin.deleteTopics({ topics: [topic] })
  assert.ok(!(await admin.listTopics()).includes(topic))
  await admin.disconnect()
  console.log('OK')
}

run().catch((e) => {
  console.error(`[example/admin] ${e.message}`, e)
  process.exit(1)
})
