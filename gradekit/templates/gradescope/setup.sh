#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
# The grader runs from a virtual environment: newer Ubuntu images refuse system-wide pip installs.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y python3 python3-pip python3-venv bubblewrap

python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install --no-cache-dir --upgrade pip
# The versions the kit was tested with, pinned at export (under Python {{PYTHON}}): every image grades alike.
"$ROOT/venv/bin/pip" install --no-cache-dir {{PACKAGES}}
