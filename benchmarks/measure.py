"""Run one command as a child process and measure it: wall time, peak memory, exit status.

Input: an argument list (and optionally a timeout, a working folder, environment).
Output: a `Measurement`: wall seconds, CPU seconds (user + system), the child's peak resident
memory in MB, its exit code, the last lines of its stderr, and whether it was killed for
running too long.

Peak memory is the `ru_maxrss` that `os.wait4` returns for exactly this child (the kernel's
high-water mark of its resident set, including any children it waited for), so it is exact
and per child, unlike `getrusage(RUSAGE_CHILDREN)`, which is the maximum over every child the
runner ever had. Wall time runs from just before the fork to the moment the child is reaped,
so it includes interpreter start-up, imports, reading and writing: what a user waits for.
CPU seconds say how much work that took; on a busy machine they vary less than wall time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

TAIL_LINES = 12


@dataclass(frozen=True)
class Measurement:
    wall_s: float
    cpu_s: float
    peak_mb: float
    returncode: int
    stderr_tail: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def run(args: list[str], *, timeout_s: float | None = None, cwd: str | None = None,
        env: dict[str, str] | None = None) -> Measurement:
    # Output goes to files, not pipes: a child that fills a pipe nobody reads (we are blocked
    # in wait4) would hang.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                cwd=cwd, env=env, start_new_session=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # its own session: only what we started
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout_s, kill) if timeout_s else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if timer:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
        err.seek(0)
        tail = err.read().decode(errors="replace").rstrip().splitlines()[-TAIL_LINES:]
    return Measurement(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime,
                       peak_mb=usage.ru_maxrss / 1024, returncode=proc.returncode,
                       stderr_tail="\n".join(tail), timed_out=timed_out.is_set())


def output_of(args: list[str], timeout_s: float = 600) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of a command whose output we need (not a measurement)."""
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s,
                          stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout, done.stderr
