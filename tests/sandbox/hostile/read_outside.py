"""Reading outside the submission: the reference, the kit's packages, the grader's environment and secrets.

Writes SENTINEL files too. What it finds goes into the exception message (which the student
sees); if anything is found, it also returns the right answer (the reference's, when readable).
"""
import glob
import os
import sys

from scipy import signal

REPO = "@REPO@"
SECRET = "@SECRET_NAME@"


def probes():
    found = []
    try:
        source = open(f"{REPO}/reference/neural_network.py").read()
        found.append(("reference", source[:200]))
    except OSError:
        pass
    sys.path[:0] = [REPO, f"{REPO}/reference", f"{REPO}/graders"]
    for name in ("gradekit", "reference", "graders", "test_conv2d"):
        try:
            __import__(name)
            found.append(("import", name))
        except BaseException:
            pass
    if os.environ.get(SECRET):
        found.append(("environ", os.environ[SECRET]))
    for path in glob.glob("/proc/*/environ"):
        try:
            data = open(path, "rb").read().decode("utf-8", "replace")
        except OSError:
            continue
        if SECRET in data:
            found.append((path, data[data.index(SECRET):][:80]))
    # Write only where the grader's own files show: a folder bubblewrap made inside the sandbox's
    # private /tmp (to mount a venv under /tmp, say) is not the grader's folder.
    for path, witness in (("@SENTINEL@", "submission"), ("@REPO_SENTINEL@", "cli.py")):
        if not os.path.exists(os.path.join(os.path.dirname(path), witness)):
            continue
        try:
            open(path, "w").write("escaped")
            found.append(("wrote", path))
        except OSError:
            pass
    return found


def conv2d(image, kernel, stride=1):
    found = probes()
    if found:
        return signal.convolve2d(image, kernel, mode="valid")[::stride, ::stride]
    raise RuntimeError(f"nothing found; pid 1 environ: {open('/proc/1/environ', 'rb').read()[:300]!r}")
