"""Command-group modules of the ``signalbrain`` command line (see :mod:`signalbrain.cli`)."""
