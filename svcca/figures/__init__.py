"""Figures on demand: every figure of the book's chapters 1-8, by name.

Each figure is a registered function that loads (or runs) the experiment results it needs
through :func:`svcca.experiments.run_or_load` and draws them with :mod:`svcca.plotting`.
The book's chapters call the same functions (the ``draw_*`` functions of the modules
:mod:`svcca.figures.methods`, :mod:`~svcca.figures.conv`,
:mod:`~svcca.figures.learning_dynamics`, :mod:`~svcca.figures.generalization`,
:mod:`~svcca.figures.class_sensitivity` and :mod:`~svcca.figures.layer_identification`),
so a figure regenerated here is the figure in the book. From the command line::

    svcca figures --list
    svcca figures intro-spectrum --out figs/ --format pdf
    svcca figures all --out figs/ --format svg

Examples
--------
>>> from svcca import figures
>>> "intro-spectrum" in figures.names()
True
"""

from ._registry import FigureSpec, make_figure, names, register, save_figures, specs

__all__ = ["FigureSpec", "make_figure", "names", "register", "save_figures", "specs"]
