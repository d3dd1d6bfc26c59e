import asyncio, sys, uuid, time, collections
import asyncpg
from tests.support.infrastructure import infrastructure
from tests.conftest import create_topic
from tests.support.counting_projection import CountingProjection, prepare_database, sample_events, record_of, publish
import shared.projections.consumer as C
from shared.projections import rebuild_projection

acc = collections.Counter()
def timed(mod, name):
    f = getattr(mod, name)
    if asyncio.iscoroutinefunction(f):
        async def w(*a, **k):
            t=time.perf_counter()
            try: return await f(*a, **k)
            finally: acc[name]+=time.perf_counter()-t
    else:
        def w(*a, **k):
            t=time.perf_counter()
            try: return f(*a, **k)
            finally: acc[name]+=time.perf_counter()-t
    setattr(mod, name, w)
for n in ["take_shared_batch_lock","lock_offsets","recorded_versions","record_versions","record_offsets","read_message","plan_batch","newer_than_recorded","last_versions"]:
    timed(C, n)
orig_apply = C.ProjectionConsumer._apply
async def ap(self, *a):
    t=time.perf_counter()
    try: return await orig_apply(self, *a)
    finally: acc["apply"]+=time.perf_counter()-t
C.ProjectionConsumer._apply = ap
orig_get = C.AIOKafkaConsumer.getmany
async def gm(self, *a, **k):
    t=time.perf_counter()
    try: return await orig_get(self, *a, **k)
    finally: acc["getmany"]+=time.perf_counter()-t
C.AIOKafkaConsumer.getmany = gm
N = int(sys.argv[1])
if len(sys.argv) > 3:
    import shared.projections.parsing as P
    from shared.events.registry import _ENVELOPE_TYPES, InvalidEvent
    def fast(raw, *, event_type=None, schema_version=None):
        return _ENVELOPE_TYPES[(event_type, schema_version)].model_validate_json(raw)
    P.parse_event = fast

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
        evs = sample_events(N, offices=[f"office-{i}" for i in range(90)])
        await publish(bs, topic, [record_of(e) for e in evs])
        del evs
        import gc; gc.collect(); gc.freeze()
        for proj in (Noop("noop", (topic,)), p, p):
            acc.clear()
            t=time.perf_counter()
            r = await rebuild_projection(proj, bootstrap_servers=bs, database_url=url, dead_letter_topic=dl, max_batch_size=int(sys.argv[2]))
            el=time.perf_counter()-t
            print(proj.name, "rate", int(N/el), "total", round(el,2), {k: round(v,2) for k,v in acc.most_common()})
    asyncio.run(main())
