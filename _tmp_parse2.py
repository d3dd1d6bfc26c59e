import asyncio, time, uuid, gc
from tests.support.infrastructure import infrastructure
from tests.conftest import create_topic
from tests.support.counting_projection import sample_events, record_of, publish
from shared.projections.parsing import read_message
from shared.events.registry import parse_event
from aiokafka import AIOKafkaConsumer
with infrastructure() as infra:
    async def main():
        bs = infra.kafka_bootstrap_servers
        topic = await create_topic(bs, partitions=12)
        evs = sample_events(50000, offices=[f"office-{i}" for i in range(90)])
        recs=[record_of(e) for e in evs]
        t=time.perf_counter()
        for r in recs: parse_event(r.value, event_type=dict(r.headers)["event_type"].decode(), schema_version=1)
        print("local parse", (time.perf_counter()-t)/len(recs)*1e6)
        await publish(bs, topic, recs)
        c = AIOKafkaConsumer(topic, bootstrap_servers=bs, auto_offset_reset="earliest", enable_auto_commit=False)
        await c.start(); got=[]
        while len(got) < 50000:
            b = await c.getmany(timeout_ms=500, max_records=5000)
            for v in b.values(): got.extend(v)
        await c.stop()
        for i in range(2):
            t=time.perf_counter()
            for m in got: read_message(m)
            print("read_message", (time.perf_counter()-t)/len(got)*1e6)
        print(type(got[0].headers), got[0].headers)
    asyncio.run(main())
