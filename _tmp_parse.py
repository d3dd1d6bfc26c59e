import time
from tests.support.counting_projection import sample_events, record_of
from shared.events.registry import parse_event, _ENVELOPE_TYPES
evs = sample_events(20000); recs=[record_of(e) for e in evs]
def bench(label, f):
    t=time.perf_counter()
    for r in recs: f(r)
    el=time.perf_counter()-t; print(label, int(len(recs)/el), "/s", f"{el/len(recs)*1e6:.1f} us")
bench("parse_event headers", lambda r: parse_event(r.value, event_type=dict(r.headers)["event_type"].decode(), schema_version=1))
bench("parse_event body", lambda r: parse_event(r.value))
m = {k: v for k,v in _ENVELOPE_TYPES.items()}
bench("model_validate_json no extra override", lambda r: m[(dict(r.headers)["event_type"].decode(),1)].model_validate_json(r.value))
import json
bench("json.loads", lambda r: json.loads(r.value))
print(len(recs[0].value))
