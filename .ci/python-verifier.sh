#!/usr/bin/env bash
# Installs the independent verifier of Charter's attestations (tests/python/verify_dsse.py):
# securesystemslib with its `crypto` extra (pyca/cryptography) from PyPI, into
# ${CARGO_TARGET_DIR:-target}/python-verifier, where the test `evidence::independent_python_...`
# finds it. Nothing is installed system-wide; once installed, the tests run offline.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${CARGO_TARGET_DIR:-target}/python-verifier"
if PYTHONPATH="$dir" python3 -c 'import securesystemslib.dsse, cryptography' 2>/dev/null; then
  exit 0
fi
mkdir -p "$dir"
PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
  --no-input --target "$dir" 'securesystemslib[crypto]==1.6.0'
PYTHONPATH="$dir" python3 -c 'import securesystemslib.dsse, cryptography'
