"""Point the book's Colab and Binder buttons at notebooks, not at the MyST sources.

Colab cannot open a MyST markdown chapter, and a ``.md`` file opens in Binder as text.
``book/notebooks.py`` turns each chapter into an ``.ipynb`` whose first cell installs
svcca when it is missing. The build publishes them with the HTML (under ``_notebooks/``,
on the ``gh-pages`` branch where the book is published) and Binder's ``postBuild`` writes
them into ``book/_notebooks`` of its image. This extension rewrites the two buttons'
links after sphinx-book-theme has made them.
"""

from __future__ import annotations

import re
from typing import Any

#: The branch the published book (HTML and notebooks) lives on.
PAGES_BRANCH = "gh-pages"
NOTEBOOKS = "_notebooks"


def notebook_links(buttons: list[dict[str, Any]], pagename: str, book_path: str) -> None:
    """Rewrite, in place, the Colab and Binder links of one page's launch buttons."""
    source = re.compile(re.escape(f"{book_path}{pagename}") + r"\.(md|ipynb)$")
    for button in buttons:
        url = button.get("url", "")
        if not source.search(url):
            continue
        if button.get("text") == "Colab":
            head = url.split("/blob/")[0]
            button["url"] = f"{head}/blob/{PAGES_BRANCH}/{NOTEBOOKS}/{pagename}.ipynb"
        elif button.get("text") == "Binder":
            button["url"] = source.sub(f"{book_path}{NOTEBOOKS}/{pagename}.ipynb", url)


def _on_page(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    book_path = app.config.html_theme_options.get("path_to_docs", "").strip("/")
    book_path = f"{book_path}/" if book_path else ""
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            notebook_links(group.get("buttons", []), pagename, book_path)


def setup(app: Any) -> dict[str, Any]:
    # after sphinx-book-theme's own launch buttons (priority 501)
    app.connect("html-page-context", _on_page, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
