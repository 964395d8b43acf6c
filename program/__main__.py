"""The ml-edge program: one environment's API and edge, from that environment's stack config."""

import pulumi

from ml_edge.stack import build
from ml_edge.stack_config import read_env_config

for name, value in build(read_env_config()).items():
    pulumi.export(name, value)
