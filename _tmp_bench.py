import asyncio, sys, uuid, time, cProfile, pstats
import asyncpg
from tests.support.infrastructure import infrastructure
from tests.conftest import create_topic
from tests.support.counting_projection import CountingProjection, prepare_database, publish_events, sample_events, record_of, publish
from shared.projections import rebuild_projection, ProjectionConsumer
from aiokafka import AIOKafkaConsumer

N = int(sys.argv[1])
class Noop:
    def __init__(self, name, topics): self.name=name; self.topics=topics
    async def apply(self, c, events): pass
    async def reset(self, c): pass

with infrastructure() as infra:
    async def main():
        bs = infra.kafka_bootstrap_servers
        name = f"b_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(infra.database_admin_url)
        await admin.execute(f'CREATE DATABASE "{name}"'); await admin.close()
        url = infra.database_admin_url.rpartition("/")[0] + "/" + name
        topic = await create_topic(bs, partitions=12)
        dl = await create_topic(bs, partitions=1)
        p = CountingProjection("counting", (topic,))
        await prepare_database(url, p)
        t=time.perf_counter(); evs = sample_events(N, offices=[f"office-{i}" for i in range(90)]); print("gen", time.perf_counter()-t)
        recs=[record_of(e) for e in evs]
        t=time.perf_counter(); await publish(bs, topic, recs); print("publish", N/(time.perf_counter()-t))
        # raw ceiling
        c = AIOKafkaConsumer(topic, bootstrap_servers=bs, auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=5000)
        await c.start(); n=0; t=time.perf_counter()
        while n < N:
            b = await c.getmany(timeout_ms=500, max_records=5000); n += sum(len(v) for v in b.values())
        raw = N/(time.perf_counter()-t); print("raw", raw); await c.stop()
        for proj in (Noop("noop", (topic,)), p):
            t=time.perf_counter()
            r = await rebuild_projection(proj, bootstrap_servers=bs, database_url=url, dead_letter_topic=dl)
            el=time.perf_counter()-t
            print(proj.name, r.applied, "rate", N/el, "ratio", N/el/raw)
        pr = cProfile.Profile(); pr.enable()
        r = await rebuild_projection(p, bootstrap_servers=bs, database_url=url, dead_letter_topic=dl)
        pr.disable(); pstats.Stats(pr).sort_stats("tottime").print_stats(18)
    asyncio.run(main())
