"""gitops plans and renders the program's own objects (its config model, its names): make the program's
package importable, as the Pulumi language host does by running program/__main__.py from program/."""

import sys

from ..stacks.environments import PROGRAM_DIR

if str(PROGRAM_DIR) not in sys.path:
    sys.path.insert(0, str(PROGRAM_DIR))
