"""Fit to board: per-layer Strategy and ReuseFactor, and the ParallelizationFactor of io_parallel convolutions,
that minimise a design's latency under a utilisation target.

Pure: reads a :class:`hlsnb.design.Design`, works on copies, and asks the estimator (``hlsnb.estimate``) for every
number, at the stage asked for: ``stage="csynth"`` (default) judges by the HLS report's estimate, ``"vsynth"`` by
what Vivado places after synthesis (HLS csynth LUTs are 1.7-5x Vivado's, so "does it fit on my board?" is a vsynth
question). The search is greedy and then a local descent, so it is fast (a few hundred estimator calls of ~0.3 ms
each) but not guaranteed optimal; what it returns is always *verified*: a result that says it fits fits by
``estimate_design`` at that stage (every resource at or under the target), and it never picks a Latency layer over
Vivado HLS's unroll limit.

1. Cost table: every (strategy, ReuseFactor) hls4ml accepts for each Dense/Conv layer, estimated alone; for an
   io_parallel convolution, each with every ParallelizationFactor hls4ml builds for it (its kernel copied PF times,
   its pixels in PF-wide partitions: the biggest latency lever of a CNN), up to the first factor whose layer alone
   is over the target in a resource that grows with the factor.
2. Start from the fastest option of every layer (the lowest latency).
3. While some resource is over the target, take the change of one layer that removes the most excess utilisation
   per extra cycle of latency (tables are additive, every step is checked with the whole-design estimate).
4. When it fits, walk layers back towards faster options while the design still fits: one layer at a time
   (coordinate descent), then pairs of layers (one faster, the other giving back resources), until neither helps.
5. Do 2-4 for all strategies, Latency only and Resource only (the top level is DATAFLOW as soon as one layer uses
   Resource, which costs buffers), each with the ParallelizationFactors searched and with every one kept as the
   design has it (so searching them never gives a slower result), and keep the fastest design that fits.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field

import numpy as np

from . import rules, vocab
from .errors import InvalidSetting
from .estimate import RESOURCES  # the resources the target applies to (keys of DesignEstimate.utilisation)

__all__ = ["FitResult", "fit_to_board", "BoardCheck", "check_board", "FitTable", "FitColumn", "fit_table",
           "RESOURCES", "DEFAULT_STRATEGIES", "STAGES", "UNBUILDABLE", "BOARD_STRATEGIES"]

#: Strategies searched by default. ``distributed_arithmetic`` needs the optional da4ml package and RF 1: opt in.
DEFAULT_STRATEGIES = ("Latency", "Resource", "Resource_Unrolled")
#: The estimator stages a fit can be judged by, and how a summary names their numbers.
STAGES = {s: vocab.STAGE_LABELS[s] for s in vocab.ESTIMATE_STAGES}
_LABEL = vocab.RESOURCE_LABELS


@dataclass
class FitResult:
    """What :func:`fit_to_board` chose.

    ``fits``: every resource of ``estimate`` is at or under ``target`` (a fraction of the board) and every layer is
    estimated. ``missing``: layers the estimator has no model of; while there are any, the figures are a lower bound
    and ``fits`` is False (the summary says why): a fit is never claimed over a hole.
    ``choices``: Dense/Conv layer -> (strategy, reuse_factor) of the result (the least-over attempt when nothing fits).
    ``parallelization``: io_parallel convolution -> its ParallelizationFactor in the result, for every convolution
    whose factor was searched (empty with ``parallelization=False``, and for designs without one); the others keep
    theirs.
    ``floor``: resource -> the lowest % of the board that resource reached in any design the search estimated
    (among them, for each resource, the design with every layer at its own smallest option for it, with and
    without the Resource strategy, which changes the top level): what that resource can be brought down to on its
    own. Every resource is in it (BRAM18K too), and no value is above the result's own figure.
    ``design``: a copy of the input design with the choices applied; ``estimate`` its DesignEstimate at ``stage``
    (by hlsnb); ``start`` the estimate of the design as it was given. ``stage``: what the fit was judged by,
    "csynth" (the HLS report's estimate) or "vsynth" (Vivado post-synthesis). ``reasons``: one line per changed
    layer, why. ``evaluations``: whole-design estimates computed; ``seconds``: time taken.
    """

    fits: bool
    target: float
    choices: dict
    design: object
    estimate: object
    start: object
    reasons: list = field(default_factory=list)
    evaluations: int = 0
    seconds: float = 0.0
    floor: dict = field(default_factory=dict)
    stage: str = "csynth"
    missing: list = field(default_factory=list)
    parallelization: dict = field(default_factory=dict)

    @property
    def utilisation(self) -> dict:
        """Resource -> % of the board of the result (estimated by hlsnb at ``stage``)."""
        return {r: self.estimate.utilisation[r] for r in RESOURCES}

    @property
    def binding(self) -> str:
        """The resource closest to (or furthest over) the target."""
        return max(RESOURCES, key=lambda r: self.estimate.utilisation[r])

    def over(self) -> dict:
        """Resource -> % of the board above the target (empty when it fits)."""
        lim = 100.0 * self.target
        return {r: u - lim for r, u in self.utilisation.items() if u > lim + 1e-9}

    def apply(self, design) -> dict:
        """Set the chosen strategies, ReuseFactors and ParallelizationFactors (``Design.set_parallelization``) on
        ``design`` in one validated step (observers hear one change; nothing changes if any value is refused).
        Returns layer -> {setting: new value} of what changed (``strategy``, ``reuse_factor``,
        ``parallelization_factor``)."""
        trial = design.copy()
        changed = {}
        for name, (s, rf) in self.choices.items():
            l = trial.layer(name)
            new = {k: v for k, v, old in (("strategy", s, l.strategy), ("reuse_factor", rf, l.reuse_factor))
                   if v != old}
            if new:
                trial.set(name, strategy=s, reuse_factor=rf, notify=False)
            pf = self.parallelization.get(name)
            if pf is not None and pf != l.parallelization_factor:
                trial.set_parallelization(name, pf, notify=False)
                new["parallelization_factor"] = pf
            if new:
                changed[name] = new
        if changed:
            design.update_from(trial)
        return changed

    def before_after(self) -> str:
        """The result against the design as it was given (the user's current design): latency and every resource,
        before -> after, at the fit's stage."""
        a, b = self.start, self.estimate
        util = ", ".join(f"{_LABEL[r]} {a.utilisation[r]:.1f}% -> {b.utilisation[r]:.1f}%" for r in RESOURCES)
        return (f"Against your design as it was: latency {a.latency_cycles:,} -> {b.latency_cycles:,} cycles, "
                f"II {a.ii:,} -> {b.ii:,}; {util}.")

    def floor_note(self) -> str:
        """What the floor says about a result that does not fit: the resources no design tried brought under the
        target on their own (then no Strategy/ReuseFactor/ParallelizationFactor choice will), or, when each can
        be, that the search found no choice doing all at once. Every resource is listed."""
        lim = 100.0 * self.target
        floor = ", ".join(f"{_LABEL[r]} {self.floor[r]:.1f}%" for r in RESOURCES if r in self.floor)
        stuck = [r for r in RESOURCES if self.floor.get(r, 0.0) > lim + 1e-9]
        if stuck:
            d = self.design
            cnn = getattr(d, "io_type", None) == rules.PARALLELIZATION_IO_TYPE and any(
                l.parallelization_factor is not None for l in getattr(d, "layers", ()))
            return ("Floor: even with every layer at its own smallest option for each resource separately, "
                    + ", ".join(f"{_LABEL[r]} {self.floor[r]:.1f}%" for r in stuck)
                    + " would remain (lowest reached per resource: " + floor + "): make the model smaller, "
                    "prune it, use narrower precisions, or a larger part"
                    + ("; or io_stream, whose convolutions hold a few image rows in line buffers where io_parallel "
                       "holds whole images in registers (design.set_target(io_type='io_stream'), then fit again)."
                       if cnn else "."))
        return ("Each resource alone can be brought under the target (lowest reached per resource: " + floor
                + "), but the search (greedy, then coordinate descent) found no choice that does it for all at "
                "once; a finer manual choice may exist, or prune the model / narrow the precisions.")

    def summary(self) -> str:
        """A few lines: fits or not, latency, utilisation, the choices and why."""
        est = self.estimate
        util = ", ".join(f"{_LABEL[r]} {est.utilisation[r]:.1f}%" for r in RESOURCES)
        under = not self.over()
        if self.missing and under:
            head = (f"Cannot say whether it fits under {100 * self.target:.0f}% of {est.part.device}: "
                    f"{len(self.missing)} layer(s) not estimated, the figures below are a lower bound")
        else:
            head = (
                f"Fits under {100 * self.target:.0f}% of {est.part.device}" if self.fits
                else f"Nothing found that fits under {100 * self.target:.0f}% of {est.part.device}"
            )
        tool = f" for {est.tool}" if est.tool else ""
        lines = [
            f"{head} ({STAGES[self.stage]}, estimated by hlsnb{tool}): latency {est.latency_cycles} cycles "
            f"({est.latency_ns:g} ns), II {est.ii}, top {est.top.upper()}; {util}."
        ]
        if self.missing:
            lines.append(f"Not estimated (missing from every total, so utilisation and latency are lower bounds): "
                         f"{', '.join(self.missing)}.")
        if not under:
            over = self.over()
            lines.append(
                "Still over the target: " + ", ".join(f"{_LABEL[r]} by {v:.1f} points" for r, v in over.items())
                + ". The design was not changed."
            )
            if self.floor:
                lines.append(self.floor_note())
        else:
            lines.append(f"Binding resource: {_LABEL[self.binding]} ({est.utilisation[self.binding]:.1f}%).")
            lines.append(self.before_after())
        lines.extend(self.reasons)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        import html

        lines = self.summary().split("\n")
        color = "#1a7f37" if self.fits else "#b42318"
        return (f"<div><b style='color:{color}'>{html.escape(lines[0])}</b><ul>"
                + "".join(f"<li>{html.escape(x)}</li>" for x in lines[1:]) + "</ul></div>")


def _held_pf(design, name: str) -> int:
    """The pixels ``name`` computes at once as the design is built: its ParallelizationFactor under io_parallel, 1
    otherwise (io_stream convolutions have no partitions; other layers none)."""
    pf = design.layer(name).parallelization_factor
    return int(pf) if pf is not None and design.io_type == rules.PARALLELIZATION_IO_TYPE else 1


def _options(design, name: str, strategies, pfs=None) -> list[tuple]:
    """Every (strategy, ReuseFactor, ParallelizationFactor) to consider for ``name``, ordered by strategy, then
    ReuseFactor, then ParallelizationFactor (ascending): each ReuseFactor hls4ml keeps as given, each factor of
    ``pfs`` (``Design.valid_parallelization_factors``); ``pfs`` None: the layer's factor is not searched, the third
    item is None (kept as it is). Latency choices over Vivado HLS's unroll limit (its products x the pixels computed
    at once, hls4ml #1013) are left out, as the Design warns about them."""
    l = design.layer(name)
    held = _held_pf(design, name)
    out = []
    for s in design.strategies(name):
        if s not in strategies:
            continue
        for rf in design.valid_reuse_factors(name, s):
            for pf in pfs or (None,):
                if s == "Latency" and (held if pf is None else pf) * l.n_mult // rf > rules.UNROLL_LIMIT:
                    continue  # Vivado HLS would refuse to unroll it (hls4ml #1013)
                out.append((s, rf, pf))
    return out


class _Search:
    def __init__(self, design, target: float, estimator):
        self.base = design.copy()
        self.limit = 100.0 * target
        self.estimate = estimator
        self.evaluations = 0
        self._cache: dict[tuple, object] = {}
        #: True when no choice searched can change the top level (see :func:`_top_fixed`): a layer's numbers then
        #: do not depend on the other layers' choices, and the additive cost table predicts every layer exactly.
        self.exact = False

    def evaluate(self, state: dict):
        """(design, estimate) of the base design with ``state`` (layer -> (strategy, RF, PF or None)) set."""
        key = tuple(sorted(state.items()))
        if key not in self._cache:
            d = self.base.copy()
            for name, (s, rf, pf) in state.items():
                l = self.base.layer(name)
                if (s, rf) != (l.strategy, l.reuse_factor):
                    d.set(name, strategy=s, reuse_factor=rf, notify=False)
                if pf is not None and pf != l.parallelization_factor:
                    d.set_parallelization(name, pf, notify=False)
            self._cache[key] = (d, self.estimate(d))
            self.evaluations += 1
        return self._cache[key]

    def excess(self, util: dict) -> float:
        return sum(max(0.0, util[r] - self.limit) for r in RESOURCES)

    @staticmethod
    def demand(est) -> dict:
        """Utilisation with every DSP the design asks for, also those Vivado synthesis cannot place.

        At ``stage="vsynth"`` the top level caps the DSPs at the part's count (a negative DSP term; the overflow
        becomes LUTs), so a design far over in DSPs shows 100 % and halving its DSPs changes nothing visible: the
        search would stop there. It is guided by the demand instead; whether a design fits is still judged on the
        estimate itself (the two agree whenever the DSPs are under the target, which is at most the whole part).
        """
        util = dict(est.utilisation)
        moved = -sum(min(0.0, float(l.dsp or 0)) for l in est.layers
                     if getattr(l, "layer_type", None) == "Top" and getattr(l, "estimated", False))
        if moved:
            util["dsp"] += 100.0 * moved / max(1, est.part.capacity()["dsp"])
        return util

    def estimates(self) -> list:
        """Every DesignEstimate computed so far."""
        return [est for _, est in self._cache.values()]

    def fits(self, est) -> bool:
        return all(est.utilisation[r] <= self.limit + 1e-9 for r in RESOURCES)

    @staticmethod
    def rank(est) -> tuple:
        return (est.latency_cycles, est.ii, sum(est.utilisation[r] for r in RESOURCES))


def _top_fixed(design, options: dict) -> bool:
    """True when no choice among ``options`` changes the design's top level (hls4ml's pipeline style,
    :func:`hlsnb.estimate.top_style`): DATAFLOW even with every layer off the Resource strategy (io_stream, an
    io_parallel convolution computed in partitions), or some layer with nothing but Resource choices."""
    from .estimate import top_style

    d = design.copy()
    for n, opts in options.items():
        other = sorted((o for o in opts if o[0] != "Resource"), key=lambda o: o[0] != "Latency")
        if not other:
            return True  # always a Resource layer: always DATAFLOW
        if d.layer(n).strategy == "Resource":
            d.set(n, strategy=other[0][0], reuse_factor=other[0][1], notify=False)
    return top_style(d)[0] == "dataflow"


def _layer_costs(search: _Search, start: dict, options: dict) -> tuple[dict, dict]:
    """(layer, option) -> (% of part per resource, latency cycles) of the layer alone, other layers as in ``start``;
    and layer -> the options costed.

    A ParallelizationFactor multiplies the layer's kernel: along each (strategy, ReuseFactor), once the layer alone
    is over the target in a resource that grew with the last factor, the larger factors are not costed (they cannot
    fit; the factor the layer is built with always is, so the search can keep it). When the top level cannot change
    (``search.exact``), one design estimate costs the next option of every layer at once."""
    costs: dict = {}
    costed: dict = {n: [] for n in options}
    nxt = dict.fromkeys(options, 0)
    prev = dict.fromkeys(options)  # layer -> ((strategy, RF), util) of the option costed last
    cut = dict.fromkeys(options)  # layer -> the (strategy, RF) whose larger factors are not costed

    def record(name, o, est):
        le = est.layer(name)
        util = {r: 100.0 * float(getattr(le, r) or 0) / max(1, est.part.capacity()[r]) for r in RESOURCES}
        costs[name, o] = (util, float(le.latency_cycles or 0))
        costed[name].append(o)
        p = prev[name]
        if o[2] is not None and p is not None and p[0] == o[:2] and any(
                util[r] > search.limit and util[r] > p[1][r] for r in RESOURCES):
            cut[name] = o[:2]
        prev[name] = (o[:2], util)

    while True:
        batch = {}
        for name, opts in options.items():
            while nxt[name] < len(opts):
                o = opts[nxt[name]]
                nxt[name] += 1
                if o[:2] != cut[name] or o[2] == start[name][2]:
                    batch[name] = o
                    break
        if not batch:
            return costs, costed
        if search.exact:
            _, est = search.evaluate({**start, **batch})
            for name, o in batch.items():
                record(name, o, est)
        else:
            for name, o in batch.items():
                record(name, o, search.evaluate({**start, name: o})[1])


class _Table:
    """The cost table of a set of options as arrays: per layer, its options, their % of the part per resource
    (rows, in :data:`RESOURCES` order) and latencies, so that a move of every option is scored at once."""

    def __init__(self, options: dict, costs: dict):
        self.options = options
        self.index = {n: {o: i for i, o in enumerate(opts)} for n, opts in options.items()}
        self.util = {n: np.array([[costs[n, o][0][r] for r in RESOURCES] for o in opts], dtype=float)
                     for n, opts in options.items()}
        self.lat = {n: np.array([costs[n, o][1] for o in opts], dtype=float) for n, opts in options.items()}


def _vector(util: dict) -> np.ndarray:
    return np.array([util[r] for r in RESOURCES], dtype=float)


def _greedy(search: _Search, table: _Table):
    """Steps 2-4 of the module docstring over ``table``'s options; returns (state, est) of the best state reached.

    When the table is exact (``search.exact``) and no DSP goes beyond the part (whose overflow the top level turns
    into LUTs, which the table does not see), a step that leaves the design over the target is taken on the table's
    word; the first state it says fits is estimated, as is every step otherwise."""
    state = {n: opts[int(np.lexsort((table.util[n].sum(axis=1), table.lat[n]))[0])]
             for n, opts in table.options.items()}
    _, est = search.evaluate(state)
    util = search.demand(est)  # of ``state``: its estimate's (``known``: ``est`` is its estimate) or the table's
    known = True
    dsp = RESOURCES.index("dsp")
    tabu: dict[tuple, set] = {}
    for _ in range(2000):
        if known and search.fits(est):
            break
        u = _vector(util)
        cur_excess = search.excess(util)
        banned = tabu.get(tuple(sorted(state.items())), set())
        best = None
        for n, opts in table.options.items():
            i = table.index[n][state[n]]
            approx = u + table.util[n] - table.util[n][i]
            gain = cur_excess - np.maximum(0.0, approx - search.limit).sum(axis=1)
            dl = table.lat[n] - table.lat[n][i]
            score = np.where(dl > 0, gain / np.where(dl > 0, dl, 1.0), gain * 1e6)
            ok = gain > 1e-9
            ok[i] = False
            for bn, bo in banned:
                if bn == n:
                    ok[table.index[n][bo]] = False
            if not ok.any():
                continue
            j = int(np.argmax(np.where(ok, score, -np.inf)))
            if best is None or score[j] > best[0]:
                best = (score[j], n, opts[j], approx[j])
        if best is None:
            if known:
                break
            _, est = search.evaluate(state)  # the table's word ends here: the real figures decide what follows
            util, known = search.demand(est), True
            continue
        _, n, o, predicted = best
        trial = {**state, n: o}
        if (search.exact and max(u[dsp], predicted[dsp]) <= 100.0
                and search.excess(dict(zip(RESOURCES, predicted))) > 1e-9):
            state, util, known = trial, dict(zip(RESOURCES, predicted)), False
            continue
        _, test = search.evaluate(trial)
        if search.excess(search.demand(test)) < cur_excess - 1e-9:
            state, est, util, known = trial, test, search.demand(test), True
        else:  # the additive table was wrong about this move: never try it from this state again
            tabu.setdefault(tuple(sorted(state.items())), set()).add((n, o))
    if not known:
        _, est = search.evaluate(state)
    if not search.fits(est):
        return state, est
    while True:
        moved = _single_moves(search, state, est, table)
        if moved is None:
            moved = _pair_moves(search, state, est, table)
        if moved is None:
            return state, est
        state, est = moved


def _single_moves(search: _Search, state, est, table: _Table):
    """The first change of one layer (fastest first) that keeps the design fitting and makes it faster. When the
    table is exact (``search.exact``), changes it says go over the target are not estimated."""
    u = _vector(search.demand(est))
    # the part's DSP count caps the vsynth total (the overflow becomes LUTs the table does not see): with DSPs
    # over the part the table's word is not taken, and with a target of the whole part DSPs over it may still "fit"
    exact = search.exact and u[RESOURCES.index("dsp")] <= 100.0
    checked = np.array([r != "dsp" or search.limit < 100.0 - 1e-9 for r in RESOURCES])
    for n, opts in table.options.items():
        lat = table.lat[n]
        i = table.index[n][state[n]]
        cur = lat[i]
        over = ((u + table.util[n] - table.util[n][i] > search.limit + 1e-6) & checked).any(axis=1)
        for j in np.argsort(lat, kind="stable"):
            o = opts[j]
            if o == state[n] or lat[j] > cur or (exact and over[j]):
                continue
            trial = {**state, n: o}
            _, test = search.evaluate(trial)
            if search.fits(test) and search.rank(test) < search.rank(est):
                return trial, test
    return None


def _pair_moves(search: _Search, state, est, table: _Table, tries: int = 24):
    """Change two layers at once (one gets faster, the other gives back resources), predicted with the additive
    table and verified with the whole-design estimate; the first verified improvement wins."""
    names = list(table.options)
    u = _vector(est.utilisation)
    found = []  # per pair of layers: (latency changes, a, option indices of a, b, option indices of b)
    for k, a in enumerate(names):
        ia = table.index[a][state[a]]
        ua, la = table.util[a] - table.util[a][ia], table.lat[a] - table.lat[a][ia]
        for b in names[k + 1:]:
            ib = table.index[b][state[b]]
            ub, lb = table.util[b] - table.util[b][ib], table.lat[b] - table.lat[b][ib]
            dl = la[:, None] + lb[None, :]
            ok = (dl < 0) & ((u + ua[:, None, :] + ub[None, :, :]) <= search.limit).all(axis=2)
            ja, jb = np.nonzero(ok)
            if len(ja):
                found.append((dl[ja, jb], a, ja, b, jb))
    if not found:
        return None
    dls = np.concatenate([f[0] for f in found])
    which = np.concatenate([np.full(len(f[0]), i) for i, f in enumerate(found)])
    pos = np.concatenate([np.arange(len(f[0])) for f in found])
    for c in np.argsort(dls, kind="stable")[:tries]:  # the largest latency cuts first, ties in the order found
        _, a, ja, b, jb = found[which[c]]
        trial = {**state, a: table.options[a][ja[pos[c]]], b: table.options[b][jb[pos[c]]]}
        _, test = search.evaluate(trial)
        if search.fits(test) and search.rank(test) < search.rank(est):
            return trial, test
    return None


def _changes(base, mult, start_state, state, start_est, est, limit: float) -> list[str]:
    """One line per layer: its settings before -> after against the design as given (the ParallelizationFactor too
    where it was searched), the real effect of the change in the final design (not of an intermediate search step),
    and the reason that effect shows."""
    over = [r for r in RESOURCES if start_est.utilisation[r] > limit + 1e-9]
    lines = []
    for n in mult:
        (s0, r0, p0), (s1, r1, p1) = start_state[n], state[n]
        l0, l1 = start_est.layer(n), est.layer(n)
        l = base.layer(n)
        head = f"{n} ({l.layer_type} {l.n_in}x{l.n_out}): "
        pf = "" if p1 is None else f", ParallelizationFactor {p1}"
        if (s0, r0, p0) == (s1, r1, p1):
            lines.append(head + f"kept {s1} RF {r1}{pf}")
            continue
        what = [f"{s0} RF {r0} -> {s1} RF {r1}" if (s0, r0) != (s1, r1) else f"kept {s1} RF {r1}"]
        if p0 != p1:
            what.append(f"ParallelizationFactor {p0} -> {p1}")
        nums = ", ".join(
            f"{lab} {float(getattr(l0, k) or 0):,.0f} -> {float(getattr(l1, k) or 0):,.0f}"
            for k, lab in (("dsp", "DSP"), ("lut", "LUT"), ("ff", "FF"), ("bram18k", "BRAM18K"),
                           ("latency_cycles", "latency"))
            if float(getattr(l0, k) or 0) != float(getattr(l1, k) or 0)
        ) or "same numbers"
        cut = [_LABEL[r] for r in over if float(getattr(l1, r) or 0) < float(getattr(l0, r) or 0)]
        faster = float(l1.latency_cycles or 0) < float(l0.latency_cycles or 0)
        why = []
        if cut:
            why.append("cuts " + ", ".join(cut) + ", over the target in the design as given")
        if faster:
            why.append("faster, with room under the target" if not over else "faster")
        if not why:
            why.append("gives back resources so that faster choices elsewhere fit")
        lines.append(head + f"{', '.join(what)}: {nums} ({'; '.join(why)})")
    return lines


def _parallelization(design, parallelization) -> dict:
    """Layer -> the ParallelizationFactors to search (``Design.valid_parallelization_factors``), for the io_parallel
    convolutions ``parallelization`` asks for: True every one, False none, or a list of their names."""
    takes = [l.name for l in design.layers if l.is_mult_layer and l.parallelization_factor is not None]
    searchable = takes if design.io_type == rules.PARALLELIZATION_IO_TYPE else []
    convs = ", ".join(map(repr, searchable)) or "this design has none"
    valid = (f"valid: True (search the ParallelizationFactor of every io_parallel convolution), False (keep each "
             f"as it is) or a list of those convolutions ({convs})")
    if isinstance(parallelization, bool):
        names = searchable if parallelization else []
    elif isinstance(parallelization, (str, bytes, dict)) or not hasattr(parallelization, "__iter__"):
        raise InvalidSetting(f"fit_to_board: parallelization {parallelization!r} is not valid; {valid}")
    else:
        names = list(dict.fromkeys(parallelization))
        layers = {l.name: l for l in design.layers}
        for n in names:
            if not isinstance(n, str) or n not in layers:
                raise InvalidSetting(f"fit_to_board: parallelization names {n!r}, which is not a layer of the "
                                     f"design; {valid}")
            if n not in takes:
                raise InvalidSetting(f"fit_to_board: parallelization names layer {n!r} ({layers[n].layer_type}), "
                                     f"which takes no ParallelizationFactor (convolutions do); {valid}")
            if n not in searchable:
                raise InvalidSetting(f"fit_to_board: parallelization names layer {n!r}, but the design is "
                                     f"{design.io_type}, whose convolutions have no ParallelizationFactor (hls4ml "
                                     f"ignores it; io_parallel reads it); {valid}")
    return {n: design.valid_parallelization_factors(n) for n in names}


def _fraction(value, where: str, field: str) -> float:
    """A fraction of the board in (0, 1] (0.8 = 80 %), else ``InvalidSetting`` naming ``field`` (also for text such
    as "80%": a ``ValueError``, as callers of fit_to_board have always caught)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
            math.isfinite(value) and 0.0 < value <= 1.0):
        raise InvalidSetting(f"{where}: {field} {value!r} is not valid; valid: a fraction of the board in (0, 1], "
                             "e.g. 0.8 for 80 %")
    return float(value)


def _check_stage(stage, where: str) -> None:
    if not isinstance(stage, str) or stage not in STAGES:
        raise InvalidSetting(f"{where}: stage {stage!r} is not valid; valid: {', '.join(map(repr, STAGES))}")


def _check_design(design, where: str) -> None:
    if not all(hasattr(design, a) for a in ("layers", "copy", "set", "strategies", "valid_reuse_factors")):
        raise TypeError(f"{where}: design must be a hlsnb.design.Design, got {type(design).__name__}")


def _strategies(strategies) -> tuple:
    """The strategies to search, canonical and without repeats; a bare string is refused (it is not a list)."""
    if isinstance(strategies, str) or not hasattr(strategies, "__iter__"):
        raise TypeError(f"fit_to_board: strategies must be a list of strategy names such as ('Latency', "
                        f"'Resource'), got {strategies!r}")
    out = tuple(dict.fromkeys(rules.canonical_strategy(s, "fit_to_board") for s in strategies))
    if not out:
        raise InvalidSetting("fit_to_board: strategies is empty; valid: a non-empty list of "
                             f"{', '.join(rules.STRATEGIES)}")
    return out


def _floor(search: _Search, strategies, all_options: dict, costs: dict) -> dict:
    """Resource -> the lowest % of the board it reached in any design estimated, after estimating, per resource,
    the design with every layer at its own smallest option for it (ties: the faster), once with all ``strategies``
    and once without Resource (a Resource layer switches the top level to DATAFLOW, whose buffers may cost more
    than the layer saves). Taken over whole-design estimates, the floor counts the top level as each design has
    it (FIFOs in BRAM, the DSPs Vivado cannot place) and is never above the returned design's figures."""
    subsets = (strategies, tuple(s for s in strategies if s != "Resource"))
    for r in RESOURCES:
        for subset in subsets:
            opts = {n: [o for o in os_ if o[0] in subset] for n, os_ in all_options.items()}
            if opts and all(opts.values()):
                search.evaluate({n: min(o, key=lambda x, n=n: (costs[n, x][0][r], costs[n, x][1]))
                                 for n, o in opts.items()})
    return {r: min(float(e.utilisation[r]) for e in search.estimates()) for r in RESOURCES}


def fit_to_board(design, target: float = 0.8, *, stage: str = "csynth", strategies=DEFAULT_STRATEGIES,
                 parallelization=True, estimator=None) -> FitResult:
    """Choose a Strategy and ReuseFactor per Dense/Conv layer, and a ParallelizationFactor per io_parallel
    convolution, that minimise latency with every resource under target.

    Parameters
    ----------
    design : hlsnb.design.Design
        Not changed; apply the result with ``result.apply(design)``.
    target : float
        Utilisation ceiling as a fraction of the board (0.8 = 80 % of each of DSP, LUT, FF and BRAM18K).
    stage : {"csynth", "vsynth"}
        The estimate the target applies to: the HLS csynth report's (default) or what Vivado places after synthesis
        (the one that says whether the design fits the board; its LUTs are well below the HLS report's).
    strategies : iterable of str
        Strategies to consider (default Latency, Resource, Resource_Unrolled; add ``"distributed_arithmetic"`` if
        da4ml is installed).
    parallelization : bool or iterable of str
        True (default): search the ParallelizationFactor (output pixels computed at once; latency ~ pixels / PF x
        the kernel's II) of every io_parallel convolution, depthwise too, over exactly
        ``design.valid_parallelization_factors(layer)``, jointly with its Strategy and ReuseFactor. The design's
        own factors are one of the candidates (so the result is never slower than with every factor kept) and what
        the result's per-layer lines compare against (old -> new). False: keep every factor as it is (Strategy and
        ReuseFactor only). A list of convolution names: search those only.
        io_stream convolutions (no partitions) and Dense layers never get one.
    estimator : callable, optional
        ``estimator(design, stage=...) -> DesignEstimate`` (default :func:`hlsnb.estimate.estimate_design`).

    Returns
    -------
    FitResult
        ``fits`` is True only when the estimate at ``stage`` of the returned design is under the target for every
        resource and every layer is estimated (``missing`` names the others); ``stage`` says which estimate;
        ``parallelization`` the factors chosen for the searched convolutions.
    """
    target = _fraction(target, "fit_to_board", "target")
    _check_stage(stage, "fit_to_board")
    _check_design(design, "fit_to_board")
    strategies = _strategies(strategies)
    pfs = _parallelization(design, parallelization)
    if estimator is None:
        from .estimate import estimate_design as estimator
    elif not callable(estimator):
        raise TypeError(f"fit_to_board: estimator must be a function estimator(design, stage=...) -> DesignEstimate, "
                        f"got {estimator!r}")
    t0 = time.perf_counter()
    search = _Search(design, target, lambda d: estimator(d, stage=stage))
    base = search.base
    mult = [l.name for l in base.layers if l.is_mult_layer]
    start_state = {n: (base.layer(n).strategy, base.layer(n).reuse_factor,
                       base.layer(n).parallelization_factor if n in pfs else None) for n in mult}
    _, start_est = search.evaluate(start_state)
    all_options = {n: _options(base, n, strategies, pfs.get(n)) for n in mult}
    empty = [n for n, o in all_options.items() if not o]
    if empty:
        raise InvalidSetting(f"fit_to_board: layers {empty}: no Strategy/ReuseFactor among {strategies} is "
                             "buildable; valid: include a strategy these layers offer (design.strategies(layer))")
    search.exact = _top_fixed(base, all_options)
    # The per-layer table is taken with every other layer as the design has it: a layer's own numbers do not
    # depend on the others' settings; the top level (DATAFLOW or not) is covered by the verified steps.
    costs, costed = _layer_costs(search, start_state, all_options)
    candidates = []
    subsets = [strategies] + [(s,) for s in ("Latency", "Resource") if s in strategies and len(strategies) > 1]
    # With the factors searched, and with every factor kept as the design has it (the same steps as
    # parallelization=False, so the result is never slower than that search's, and costs nothing new to estimate)
    for subset in subsets:
        for keep in (False, True) if pfs else (False,):
            opts = {n: [o for o in costed[n] if o[0] in subset and (not keep or o[2] == start_state[n][2])]
                    for n in mult}
            if any(not o for o in opts.values()):
                continue
            candidates.append(_greedy(search, _Table(opts, costs)))
    fitting = [c for c in candidates if search.fits(c[1])]
    if fitting:
        state, est = min(fitting, key=lambda c: search.rank(c[1]))
    else:
        state, est = min(candidates, key=lambda c: (search.excess(c[1].utilisation), search.rank(c[1])))
    floor = _floor(search, strategies, costed, costs)
    fitted, est = search.evaluate(state)
    reasons = _changes(base, mult, start_state, state, start_est, est, search.limit)
    kept = [n for n in mult if n not in pfs and base.io_type == rules.PARALLELIZATION_IO_TYPE
            and base.layer(n).parallelization_factor is not None]
    if kept:
        reasons.append("ParallelizationFactor not searched (fit_to_board(parallelization=...)), kept as the design "
                       "has it: " + ", ".join(f"{n} {base.layer(n).parallelization_factor}" for n in kept) + ".")
    return FitResult(
        floor=floor, fits=search.fits(est) and not est.not_estimated, missing=list(est.not_estimated),
        target=float(target), choices={n: (s, rf) for n, (s, rf, _) in state.items()}, design=fitted, estimate=est,
        start=start_est, reasons=reasons, evaluations=search.evaluations, seconds=time.perf_counter() - t0,
        stage=stage, parallelization={n: state[n][2] for n in pfs},
    )


@dataclass
class BoardCheck:
    """Whether a design fits its board by the estimate, and what to do when it does not (see :func:`check_board`).

    ``fits``: every resource at ``stage`` is at or under ``limit`` (a fraction of the part); ``over``: resource ->
    % of the part above the limit; ``estimate``: the DesignEstimate judged; ``fix``: what would make it fit (a
    :func:`fit_to_board` result when one is found, else what is left); ``suggestion``: that FitResult or None.
    """

    fits: bool
    stage: str
    limit: float
    over: dict
    estimate: object
    fix: str = ""
    suggestion: object = None

    def summary(self) -> str:
        est = self.estimate
        what = f"{STAGES[self.stage]}, estimated by hlsnb" + (f" for {est.tool}" if est.tool else "")
        if self.fits:
            return (f"Fits {est.part.device} ({what}): " + ", ".join(
                f"{_LABEL[r]} {est.utilisation[r]:.1f}%" for r in RESOURCES) + ".")
        over = [f"{_LABEL[r]} {v:.0f}% of the part" for r, v in self.over.items() if r in _LABEL]
        other = [r for r in self.over if r not in _LABEL]  # what the backend cannot build
        return (f"Will not fit {est.part.device} ({what}): " + "; ".join(
            over + other) + (f" (limit {100 * self.limit:.0f}%)." if over else ".")
            + (f"\nFix: {self.fix}" if self.fix else ""))

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        import html

        head, *rest = self.summary().split("\n")
        color = "#1a7f37" if self.fits else "#b42318"
        return (f"<div><b style='color:{color}'>{html.escape(head)}</b>"
                + "".join(f"<br>{html.escape(x)}" for x in rest) + "</div>")


#: Strategies an hls4ml backend refuses to build (hls4ml 1.3.0: "Unexpected backend VivadoAccelerator in
#: GenerateUnrolledDenseResource optimizer" when a layer uses Resource_Unrolled).
UNBUILDABLE = {"VivadoAccelerator": ("Resource_Unrolled",)}
#: What the board flow can build, hence what :func:`check_board` searches for a fix.
BOARD_STRATEGIES = ("Latency", "Resource")


def check_board(design, *, stage: str = "vsynth", limit: float = 1.0, target: float = 0.8,
                backend: str = "VivadoAccelerator", estimator=None) -> BoardCheck:
    """Does ``design`` fit its part by the estimate, and can ``backend`` build it? When not, say why and find a fix.

    Judged at ``stage`` (default "vsynth": what Vivado places after synthesis decides whether a bitstream can be
    built; HLS csynth LUTs overstate it 1.7-5x). The fix is a :func:`fit_to_board` search under ``target`` judged
    at the HLS csynth stage (a margin), whose result is checked again at ``stage`` under ``limit``; when that finds
    none, a search judged at ``stage`` under ``limit``; when neither fits, it says what is left (prune, narrower
    precisions, a larger part). A layer whose strategy ``backend``
    cannot build (:data:`UNBUILDABLE`) makes the design not fit either; the fix then searches only the strategies
    the backend builds.
    """
    _check_stage(stage, "check_board")
    _check_design(design, "check_board")
    limit = _fraction(limit, "check_board", "limit")
    target = _fraction(target, "check_board", "target")
    if not isinstance(backend, str):
        raise TypeError(f"check_board: backend must be an hls4ml backend name such as 'VivadoAccelerator', "
                        f"got {backend!r}")
    if estimator is None:
        from .estimate import estimate_design as estimator
    est = estimator(design, stage=stage)
    over = {r: float(est.utilisation[r]) for r in RESOURCES if est.utilisation[r] > 100.0 * limit + 1e-9}
    refused = [l.name for l in design.layers if l.is_mult_layer and l.strategy in UNBUILDABLE.get(backend, ())]
    if not over and not refused:
        return BoardCheck(True, stage, limit, {}, est)
    if refused:
        over = {**over, f"{backend} cannot build {', '.join(UNBUILDABLE[backend])} ({', '.join(refused)})": 0.0}
    strategies = tuple(s for s in BOARD_STRATEGIES if s not in UNBUILDABLE.get(backend, ()))
    # first under the HLS csynth target (a margin); when that finds nothing within the limit at ``stage``, a search
    # judged at ``stage`` itself under the limit, so that "no choice fits" is never said of a design one fits
    searches = [("csynth", target)] + ([(stage, limit)] if (stage, limit) != ("csynth", target) else [])
    for how, tgt in searches:
        result = fit_to_board(design, tgt, stage=how, estimator=estimator, strategies=strategies)
        again = estimator(result.design, stage=stage)
        if not (result.fits and all(again.utilisation[r] <= 100.0 * limit for r in RESOURCES)):
            continue
        settings = ", ".join(f"{n} {s} RF {rf}" + (f" ParallelizationFactor {result.parallelization[n]}"
                                                   if n in result.parallelization else "")
                             for n, (s, rf) in result.choices.items())
        fix = (f"Fit to board (notebook 02, or hlsnb.fit.fit_to_board(design, {tgt:g}, stage={how!r})) finds "
               f"{settings}: latency {result.estimate.latency_cycles:,} cycles, " + ", ".join(
                   f"{_LABEL[r]} {again.utilisation[r]:.0f}%" for r in RESOURCES) + f" ({STAGES[stage]}).")
        return BoardCheck(False, stage, limit, over, est, fix, result)
    fix = ("No Strategy/ReuseFactor/ParallelizationFactor choice fits: prune the model (notebook 03) and fit again, "
           "use narrower precisions, or a larger part.")
    return BoardCheck(False, stage, limit, over, est, fix, None)


@dataclass
class FitColumn:
    """One stage's answer to "does it fit?": resource counts, % of the part, the binding resource and the verdict.

    ``label``: what the numbers are (e.g. "Vivado post-synthesis estimate", "Yosys post-synthesis"); ``source``:
    "estimated by hlsnb", "measured" or "replay"; ``counts``: resource -> count; ``pct``: resource -> % of the part.
    """

    label: str
    source: str
    counts: dict
    capacity: dict
    limit: float = 1.0

    @property
    def pct(self) -> dict:
        """Resource -> % of the part."""
        return {r: 100.0 * self.counts[r] / self.capacity[r] if self.capacity[r] else 0.0 for r in self.counts}

    @property
    def binding(self) -> str:
        """The resource with the highest share of the part: the one that decides the fit."""
        return max(self.pct, key=lambda r: self.pct[r])

    @property
    def fits(self) -> bool:
        return all(p <= 100.0 * self.limit + 1e-9 for p in self.pct.values())

    def verdict(self, device: str) -> str:
        b, pct = self.binding, self.pct
        word = "fits" if self.fits else "does not fit"
        return (f"{self.label} ({self.source}): {word} the {device}; binding resource {_LABEL.get(b, b.upper())} "
                f"{pct[b]:,.1f}% ({self.counts[b]:,.0f} of {self.capacity[b]:,})")


@dataclass
class FitTable:
    """"Does the design fit the part?" answered once per stage, one column each, with the same totals wherever the
    same design is shown (see :func:`fit_table`). ``fits``: the verdict of the last column (the latest stage: what
    decides whether a bitstream can be built)."""

    device: str
    capacity: dict
    columns: list

    @property
    def fits(self) -> bool:
        return self.columns[-1].fits

    @property
    def binding(self) -> str:
        return self.columns[-1].binding

    def column(self, label_start: str) -> FitColumn:
        return next(c for c in self.columns if c.label.startswith(label_start))

    def summary(self) -> str:
        """One line per stage: fits or does not fit, the binding resource, then every resource in %."""
        out = []
        for c in self.columns:
            rest = ", ".join(f"{_LABEL.get(r, r.upper())} {c.pct[r]:,.1f}%" for r in c.pct)
            out.append(f"{c.verdict(self.device)}. All: {rest}.")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.summary()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        res = list(self.columns[0].pct)
        head = "".join(f"<th style='text-align:right'>{html.escape(c.label)}<br><small>{html.escape(c.source)}"
                       f"</small></th>" for c in self.columns)
        rows = []
        for r in res:
            cells = []
            for c in self.columns:
                pct = c.pct[r]
                style = "color:#b42318;font-weight:bold" if pct > 100.0 * c.limit + 1e-9 else ""
                cells.append(f"<td style='text-align:right;{style}'>{c.counts[r]:,.0f} ({pct:,.1f}%)</td>")
            rows.append(f"<tr><td>{_LABEL.get(r, r.upper())} (of {self.capacity[r]:,})</td>{''.join(cells)}</tr>")
        verdict = "".join(
            f"<td style='text-align:right;color:{'#1a7f37' if c.fits else '#b42318'}'><b>"
            f"{'fits' if c.fits else 'does not fit'}</b><br><small>binding: {_LABEL.get(c.binding, c.binding)}"
            f"</small></td>" for c in self.columns)
        return (f"<table class='hlsnb-fit-table'><thead><tr><th>{html.escape(self.device)}</th>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}<tr><td><b>verdict</b></td>{verdict}</tr></tbody></table>")


def fit_table(design, *, stages=("csynth", "vsynth"), reports=(), limit: float = 1.0, estimator=None) -> FitTable:
    """Whether ``design`` fits its part, one column per stage: the estimator's ``stages`` (HLS csynth, Vivado
    post-synthesis) and then each of ``reports`` (a :class:`hlsnb.synth.reports.Report` of this design: a Vivado
    synthesis, a replay, or Yosys's open synthesis), each with its binding resource and the verdict against
    ``limit`` (a fraction of the part). Every notebook that asks the question shows this table, so a design has the
    same totals and the same answer everywhere."""
    _check_design(design, "fit_table")
    limit = _fraction(limit, "fit_table", "limit")
    for s in stages:
        _check_stage(s, "fit_table")
    if estimator is None:
        from .estimate import estimate_design as estimator
    part = design.part
    cap = {r: part.capacity()[r] for r in RESOURCES}
    cols = []
    for s in stages:
        est = estimator(design, stage=s)
        cols.append(FitColumn(STAGES[s], "estimated by hlsnb", {r: float(est.total[r]) for r in RESOURCES}, cap, limit))
    for rep in reports:
        row = rep.model
        counts = {r: float(getattr(row, r) or 0) for r in RESOURCES}
        kind = vocab.STAGE_LABELS.get(rep.kind, rep.kind)  # one label per stage, as every view says it
        source = "replay of a stored build" if rep.label == "replay" else f"measured ({rep.tool or 'tool'})"
        cols.append(FitColumn(kind, source, counts, cap, limit))
    return FitTable(part.device, cap, cols)
