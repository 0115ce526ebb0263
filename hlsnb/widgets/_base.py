"""The base of every hlsnb view: follow one Design, close cleanly, never feed a change back into itself.

A view reads the :class:`hlsnb.design.Design` and changes it only through its methods (``set``, ``set_all``,
``set_target``, ``update_from``). Three things every view needs, written once here:

- **subscribing**: :meth:`DesignView._follow` subscribes :meth:`DesignView._on_design_change` with
  ``design.observe`` (the Design's one subscription mechanism); any other source a view listens to (another view's
  :class:`Subscribers`) is kept with :meth:`DesignView._keep` so that closing ends it too;
- **closing**: :meth:`DesignView.close` calls every kept unsubscribe function and closes the child views and
  widgets, down to the leaves (closing an ipywidgets Box leaves its children open); a second call does nothing
  (ipywidgets also closes from ``__del__``);
- **the update guard**: while a view writes the design's state into its own controls (:meth:`DesignView.syncing`),
  the control handlers decorated with :func:`user_action` ignore the changes, which came from the design and not
  from the user. Without it, showing a change would be taken for a new one and written back.
"""

from __future__ import annotations

import contextlib
import functools
from contextlib import contextmanager
from typing import Callable

import traitlets

__all__ = ["DesignView", "Subscribers", "user_action", "check_name", "check_target", "transaction"]

#: What a pin's or a saved state's name may be: shown in the plot's legend and the compare table's heading.
NAME_MAX = 40


def check_name(name, what: str = "pin name") -> str:
    """``name`` if it is a usable label (a non-empty string of at most :data:`NAME_MAX` printable characters, not
    only spaces); else a ValueError naming the value and what is valid. Nothing is changed before this passes."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a string such as 'A', got {type(name).__name__} {name!r}")
    if not name.strip() or len(name) > NAME_MAX or not name.isprintable():
        raise ValueError(f"{what} {name!r} is not valid: use 1 to {NAME_MAX} printable characters, not only "
                         "spaces (e.g. 'A', 'before pruning')")
    return name


def check_target(target) -> float | None:
    """A utilisation target line: None (no line) or a fraction of the board in (0, 1.5] (0.8 = 80 %); a string such
    as '80%' or a value out of range raises before anything changes."""
    if target is None:
        return None
    if isinstance(target, bool) or not isinstance(target, (int, float)):
        raise TypeError(f"target must be a fraction of the board such as 0.8 (80 %) or None, got "
                        f"{type(target).__name__} {target!r}")
    t = float(target)
    if not (0.0 < t <= 1.5):
        raise ValueError(f"target {target!r} is not valid: a fraction of the board in (0, 1.5], e.g. 0.8 for 80 %")
    return t


@contextmanager
def transaction(view, *names: str):
    """Restore ``view``'s attributes ``names`` if the block raises, so a refused or failed change leaves the view
    exactly as it was (and working: the next update sees the old state)."""
    saved = {n: getattr(view, n) for n in names}
    try:
        yield
    except BaseException:
        for n, v in saved.items():
            setattr(view, n, v)
        redraw = getattr(view, "update", None)
        if callable(redraw):  # show the restored state again (a failed redraw may have left half of the new one)
            with contextlib.suppress(Exception):  # the original error is the one to report
                redraw()
        raise


class Subscribers:
    """A list of callbacks with the Design's contract: :meth:`add` returns the function that removes the callback.

    Used for what a view announces to others (``EstimatePlot.on_update``), so there is one way to subscribe and one
    way out, whatever the source.
    """

    def __init__(self) -> None:
        self._callbacks: list[Callable] = []

    def add(self, callback: Callable) -> Callable[[], None]:
        """Call ``callback(*args)`` on every :meth:`notify`; returns a function that unsubscribes (idempotent)."""
        self._callbacks.append(callback)

        def remove() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return remove

    def notify(self, *args) -> None:
        """Call every callback (a copy of the list: a callback may unsubscribe itself)."""
        for cb in list(self._callbacks):
            cb(*args)

    def __len__(self) -> int:
        return len(self._callbacks)


def user_action(handler: Callable) -> Callable:
    """Make a control handler ignore changes made while its view shows the design (see :meth:`DesignView.syncing`).

    The handler's first argument must be the :class:`DesignView` whose guard applies.
    """

    @functools.wraps(handler)
    def guarded(view: "DesignView", *args, **kwargs):
        if view._syncing:
            return None
        return handler(view, *args, **kwargs)

    return guarded


class DesignView(traitlets.HasTraits):
    """Base of the views over a Design: subscription, closing and the update guard (see the module docstring).

    Mixed in before the ipywidgets container a view is (``class Explorer(DesignView, widgets.VBox)``), or used alone
    for a part of a view that is not itself a widget (a configurator row). It has no ``__init__``: a subclass sets
    ``self.design``, builds its controls and then calls :meth:`_follow`.
    """

    design = None  #: the followed Design (set by the subclass before it builds its controls)
    _syncing = False
    _closed = False

    # ------------------------------------------------------------------ subscribing
    def _follow(self, *, parts=()) -> None:
        """Call :meth:`_on_design_change` after every change of ``self.design`` until the view is closed.

        ``parts`` are child views or widgets that :meth:`close` closes with this view.
        """
        self._keep(self.design.observe(self._on_design_change))
        self._own(*parts)

    def _keep(self, unsubscribe: Callable[[], None]) -> None:
        """Keep an unsubscribe function (from ``design.observe`` or :meth:`Subscribers.add`) to call on close."""
        self.__dict__.setdefault("_unsubscribers", []).append(unsubscribe)

    def _own(self, *parts) -> None:
        """Close these child views or widgets together with this view."""
        self.__dict__.setdefault("_parts", []).extend(parts)

    def _on_design_change(self, name: str) -> None:
        """The design changed: ``name`` is the layer, or ``"*"`` for the target or the whole design. Override."""

    # ------------------------------------------------------------------ the update guard
    @contextmanager
    def syncing(self):
        """Context in which control changes come from the design, not the user (:func:`user_action` ignores them)."""
        prev, self._syncing = self._syncing, True
        try:
            yield
        finally:
            self._syncing = prev

    # ------------------------------------------------------------------ closing
    @property
    def closed(self) -> bool:
        """True after :meth:`close`: the view no longer follows the design."""
        return self._closed

    def close(self) -> None:
        """Stop following the design and close the child views and widgets. A second call does nothing."""
        if self._closed:
            return
        self._closed = True
        for unsubscribe in self.__dict__.pop("_unsubscribers", []):
            unsubscribe()
        for part in [*self.__dict__.pop("_parts", []), *(getattr(self, "children", None) or ())]:
            _close_tree(part)
        parent_close = getattr(super(), "close", None)  # the ipywidgets container, when the view is one
        if parent_close is not None:
            parent_close()


def _close_tree(widget) -> None:
    """Close a widget or view and, for a container, everything in it (a child view closes itself the same way)."""
    if isinstance(widget, DesignView):
        widget.close()
        return
    for child in getattr(widget, "children", None) or ():
        _close_tree(child)
    widget.close()
