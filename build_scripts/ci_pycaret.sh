#!/usr/bin/env bash
# The optional PyCaret extra, tested in its own venv (.venv-pycaret, or $PYCARET_VENV).
#   bash build_scripts/ci_pycaret.sh
# PyCaret pins numpy<2, scipy<=1.11.4 and scikit-learn<1.5, so it can never share .venv. The whole
# project installs with it: pip resolves numpy 1.26.4, scipy 1.11.4, scikit-learn 1.4.2,
# pandas 2.1.4, matplotlib 3.7.5 and aeon 1.3.0 (the last aeon that accepts numpy<2); torch stays
# 2.13.0. That took 96 s into a new venv with an empty pip cache (2.6 GB) on the 2-core machine;
# the whole engine test suite about 100 s more. Runs every engine test on that older stack, DBSCAN's
# among them (where the PyCaret backend must match scikit-learn label for label).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${PYCARET_VENV:-.venv-pycaret}
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
  printf '*\n' > "$venv/.gitignore"  # keep the venv out of git, as .venv is
fi
"$venv/bin/python" -m pip install -q -e ".[dev,pycaret]"

# The PyCaret tests skip themselves where PyCaret is missing; here a broken install must fail.
"$venv/bin/python" - <<'EOF'
import numpy, scipy, sklearn
from engine.cluster.dbscan import _import_pycaret
_import_pycaret()
import pycaret
print(f"PyCaret {pycaret.__version__} with numpy {numpy.__version__}, scipy {scipy.__version__}, "
      f"scikit-learn {sklearn.__version__}")
EOF

QT_QPA_PLATFORM=offscreen "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/engine
