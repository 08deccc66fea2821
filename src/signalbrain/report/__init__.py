"""Plots for people: time-space diagrams with green bands (:mod:`signalbrain.report.timespace`)
and escort timelines (:mod:`signalbrain.report.escort_plot`). matplotlib is imported lazily by
each module (the ``plot`` extra), so importing this package costs nothing."""
