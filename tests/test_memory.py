"""The service process gives freed memory back to the system (glibc's allocator as esledger.core.memory sets
it): large buffers freed between long-lived small ones no longer stay resident as holes in the heap."""

from __future__ import annotations

import platform
import subprocess
import sys

from esledger.core.memory import tune_allocator

PROBE = """
import sys
import time
from esledger.core.memory import Trimmer, tune_allocator
if sys.argv[1] == "tuned":
    assert tune_allocator()

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024

warm = bytearray(8 << 20)
del warm  # glibc's defaults now raise the mmap threshold to 8 MiB
before = rss_mb()
big, kept = [], []
for _ in range(150):
    big.append(bytearray(1 << 20))  # a request body, a page of rows
    kept.append(bytearray(600))  # something that stays (above pymalloc's 512 bytes: from malloc too)
del big
if sys.argv[1] == "trimmed":  # glibc's defaults, the holes handed back by the service's trimming thread
    trimmer = Trimmer(0.05)
    trimmer.start()
    time.sleep(0.5)
    trimmer.stop()
print(round(rss_mb() - before))
"""


def _kept_mb(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60, check=True)
    return int(done.stdout.strip())


def test_freed_large_buffers_leave_the_process() -> None:
    if platform.libc_ver()[0] != "glibc":  # musl, macOS: the settings are glibc's, and say they were not applied
        assert tune_allocator() is False
        return
    assert _kept_mb("defaults") >= 100, "the probe no longer shows glibc's retention: it tests nothing"
    assert _kept_mb("tuned") <= 10
    assert _kept_mb("trimmed") <= 10
