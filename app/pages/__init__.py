"""The app's pages, in one table: path, navbar name and order are stated here and nowhere else.

Why a table: a page used to register itself in two ways (at import, or in its `register(app)`),
and the app factory repeated each page's order. Now every page module only provides `layout` (and,
if it has callbacks, `register(app)`); `install(app)` registers the pages of this table in its order
on every app built, so a second app in the same process (tests) gets every page too. Adding a page:
write app/pages/<name>.py with `layout`, add one line here.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

import dash

SITE = "The 411 on the 311"


@dataclass(frozen=True)
class Page:
    module: str             # app/pages/<module>.py
    path: str               # a path, or a path template with <variables>
    name: str               # the navbar's label
    nav: bool = True        # False: reachable by link only, not in the navbar
    title: str = ""         # the browser tab's title before " — The 411 on the 311" (default: name)
    layout: str = "layout"  # the module's layout function
    key: str = ""           # the page's key in dash.page_registry (default: the module's name)


# In navbar order (a page's `order` is its place here).
PAGES: tuple[Page, ...] = (
    Page("overview", "/", "Overview"),
    Page("map", "/map", "Map"),
    Page("hotspots", "/hotspots", "Hotspots"),
    Page("trends", "/trends", "Trends"),
    Page("rankings", "/rankings", "Rankings"),
    Page("resolution", "/resolution", "Resolution"),
    Page("live", "/live", "Live"),
    Page("about", "/about", "About"),
    Page("report", "/report/<district>", "Board report", nav=False, title="Community board report"),
    Page("report", "/report", "Board reports", nav=False, title="Community board reports", layout="index_layout",
         key="report_index"),
)


def install(app: dash.Dash) -> None:
    """Register every page of PAGES with Dash and each page module's callbacks on `app`."""
    registered: set[str] = set()
    for order, page in enumerate(PAGES):
        module = importlib.import_module(f"{__name__}.{page.module}")
        where = {"path_template": page.path} if "<" in page.path else {"path": page.path}
        dash.register_page(f"{__name__}.{page.key or page.module}", name=page.name, nav=page.nav,
                           title=f"{page.title or page.name} — {SITE}", order=order * 10,
                           layout=getattr(module, page.layout), **where)
        if page.module not in registered and hasattr(module, "register"):
            module.register(app)
            registered.add(page.module)
