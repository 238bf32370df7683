"""Imported once by the readers' fork server (assets/runtime/isolation.py), last: warm
the whole router path of a run in it (`assets/ingest/warmup.py`, with the merge's
share builder, as `stiplan run` hands it to the router), then freeze that heap for
the collector (`gc.freeze`)."""

from __future__ import annotations

import atexit
import gc
import os

from stiplan.assets.consolidate.ahead import keep_share_ahead
from stiplan.assets.ingest.warmup import warm

# The tests' injected faults (assets/runtime/faults.py) are for a run's own files:
# the warm-up's are none of them.
_FAULTS = {k: os.environ.pop(k) for k in ("STIPLAN_KILL_AT", "STIPLAN_FAIL_AT") if k in os.environ}
try:
    warm(keep_share_ahead)
except Exception:  # noqa: BLE001, S110 - a cold child is slower, never wrong
    pass
finally:
    os.environ.update(_FAULTS)
# What the server holds now (modules, patterns, tables) lives as long as every child:
# out of the collector's sight, a child's full collections do not walk it again.
gc.collect()
gc.freeze()
# ...but the server's own shutdown frees it as usual (the children leave by os._exit):
# objects left frozen make DuckDB's bindings report leaks on stderr at exit.
atexit.register(gc.unfreeze)
