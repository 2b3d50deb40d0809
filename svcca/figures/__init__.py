"""Figures on demand: every figure of the book's introduction and chapters 1-9, by name.

:data:`FIGURES` is a table: each figure's name, chapter and caption, the book experiment it
draws (loaded or run through :func:`load_experiment`) and the public function that draws
it, the same function its chapter calls (the ``draw_*`` and figure functions of
:mod:`svcca.figures.methods`, :mod:`~svcca.figures.conv`,
:mod:`~svcca.figures.learning_dynamics`, :mod:`~svcca.figures.generalization`,
:mod:`~svcca.figures.pwcca_noise`, :mod:`~svcca.figures.class_sensitivity`,
:mod:`~svcca.figures.layer_identification` and :mod:`~svcca.figures.open_questions`).
So a figure regenerated here is the figure in the book. From the command line::

    svcca figures --list
    svcca figures intro-spectrum --out figs/ --format pdf
    svcca figures all --out figs/ --format svg

Examples
--------
>>> from svcca import figures
>>> "intro-spectrum" in figures.names()
True
"""

from ._registry import FIGURES, FigureSpec, load_experiment, make_figure, names, save_figures, specs

__all__ = ["FIGURES", "FigureSpec", "load_experiment", "make_figure", "names", "save_figures", "specs"]
