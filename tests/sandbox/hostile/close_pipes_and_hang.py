"""Closes the worker's protocol pipes at import, then hangs (the grader sees end-of-file, not an exit)."""
import os
import time

for name in os.listdir("/proc/self/fd"):
    try:
        if os.readlink(f"/proc/self/fd/{name}").startswith("pipe:"):
            os.close(int(name))
    except OSError:
        pass
time.sleep(1000)
