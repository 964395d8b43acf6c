"""gitops uses the program's own objects (its config model, its names, its constants): make the program's
package importable, as the Pulumi language host does by running program/__main__.py from program/. Import ml_edge
modules only where the job's lock installs what they import (tests/test_layers.py checks every entry point)."""

import sys

from .environments import PROGRAM_DIR

if str(PROGRAM_DIR) not in sys.path:
    sys.path.insert(0, str(PROGRAM_DIR))
