"""``signalbrain optimize NET.net.xml --routes ...`` reads SUMO files only: the modules it imports
must not load PyYAML (~0.02-0.03 s of start-up), which the YAML readers load on first use."""

from __future__ import annotations

import subprocess
import sys

from signalbrain.io import read_network


def test_sumo_path_does_not_import_yaml() -> None:
    code = (
        "import sys\n"
        "import signalbrain.cli, signalbrain._cli.optimize, signalbrain.io\n"
        "import signalbrain.io.demand, signalbrain.io.sumo_net, signalbrain.io.plan_sumo\n"
        "print('yaml' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "False"


def test_yaml_names_still_importable() -> None:
    import signalbrain.io as io

    assert io.read_network is read_network
    assert callable(io.write_network)
    assert callable(io.parse_network)
    assert callable(io.network_to_dict)
