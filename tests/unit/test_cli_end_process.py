"""The command's process ends without the interpreter's teardown, and still as a normal exit would:
exit handlers run, output flushed, the exit code kept; with another thread running, it waits."""

from __future__ import annotations

import subprocess
import sys

RUN = """
import atexit, sys, threading
atexit.register(lambda: print("exit handler ran", flush=True))
print("buffered", end="")  # not flushed by the command
if "--thread" in sys.argv:
    sys.argv.remove("--thread")
    threading.Thread(target=lambda: (__import__("time").sleep(0.2), print(" thread done", end=""))).start()
from supplyguard.cli.main import main
main()
"""


def command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", RUN, *args], capture_output=True, text=True, timeout=120)


def test_a_finished_command_runs_the_exit_handlers_and_flushes_its_output() -> None:
    done = command("--help")
    assert done.returncode == 0
    assert done.stdout.startswith("buffered")
    assert "Usage" in done.stdout
    assert done.stdout.endswith("exit handler ran\n")


def test_the_exit_code_is_kept() -> None:
    done = command("no-such-command")
    assert done.returncode == 2
    assert done.stdout.endswith("exit handler ran\n")


def test_a_thread_still_running_is_waited_for() -> None:
    done = command("--thread", "--help")
    assert done.returncode == 0
    assert "thread done" in done.stdout
    assert done.stdout.endswith("exit handler ran\n")
