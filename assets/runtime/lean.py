"""Imported first by the readers' fork server (assets/runtime/isolation.py): keep out
of it what no reader uses.

Pandera imports Hypothesis, when it is installed, for its data-synthesis strategies
(0.2 s, on the path of the first file read of every run). The readers only validate,
and Hypothesis is a test dependency (a planner's install does not have it): the server
runs as if it were absent, as it is in production."""

import sys

sys.modules.setdefault("hypothesis", None)  # `import hypothesis` raises ImportError
