"""Named moments of a run where tests inject a fault.

`checkpoint(name)` is called at each moment a crash or a full disk would leave
something half done (see tests/test_faults.py for the list). With
`STIPLAN_KILL_AT=<name>` in the environment the process sends itself SIGKILL
there, as `kill -9` or a power cut would; with `STIPLAN_FAIL_AT=<name>` it raises
`OSError(ENOSPC)` there, as a full disk would. Otherwise it does nothing but look
up two environment variables.
"""

from __future__ import annotations

import errno
import os
import signal


def checkpoint(name: str, run_pid: int | None = None) -> None:
    """`run_pid`: in a reader's child, the run it works for, killed with it (a kill of
    the run is what the moment stands for)."""
    if os.environ.get("STIPLAN_KILL_AT") == name:
        if run_pid is not None and run_pid != os.getpid():
            os.kill(run_pid, signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get("STIPLAN_FAIL_AT") == name:
        raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)} (injected at {name})")
