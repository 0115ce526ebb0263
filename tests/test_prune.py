"""DSP-aware pruning: grouping as hls4ml lays weights out, knapsack, schedulers, masks through fine-tuning,
each structure type end to end, the report, the slider, and bad inputs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from hlsnb import Design  # noqa: E402
from hlsnb.design import LayerSpec  # noqa: E402
from hlsnb.prune import (  # noqa: E402
    BinaryScheduler,
    Budget,
    ConstantScheduler,
    InfeasibleBudget,
    LayerMask,
    PolynomialScheduler,
    enforce_masks,
    mask_violations,
    multiplier_of_weight,
    plan_pruning,
    prune,
    solve_knapsack,
    structure_groups,
)


def tiny_mlp(n_in=8, hidden=16, n_out=4, seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((n_in,), name="inputs"),
                             keras.layers.Dense(hidden, activation="relu", name="fc1"),
                             keras.layers.Dense(n_out, activation="softmax", name="out")], name="tiny")


def tiny_data(n=256, n_in=8, n_out=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in)).astype(np.float32)
    y = (X[:, :n_out] * np.arange(1, n_out + 1)).argmax(axis=1)
    return X[:192], y[:192], X[192:], y[192:]


# ---------------------------------------------------------------- grouping as hls4ml's Resource strategy does it
def _multiplier_index_from_template(n_in, n_out, rf):
    """Replay nnet_dense_resource.h: in reuse cycle ir, multiplier im reads weights[ir + rf*im] of the
    transposed (n_out, n_in) kernel that ApplyResourceStrategy stores; map back to Keras (i, o)."""
    block = n_in * n_out // rf
    mult = np.full((n_in, n_out), -1)
    for ir in range(rf):
        for im in range(block):
            w_index = ir + rf * im
            o, i = divmod(w_index, n_in)
            assert mult[i, o] == -1
            mult[i, o] = im
    return mult


@pytest.mark.parametrize("n_in,n_out,rf", [(4, 3, 2), (4, 3, 4), (4, 3, 6), (4, 3, 12), (6, 4, 8), (16, 5, 16)])
def test_pattern_groups_follow_the_resource_multipliers(n_in, n_out, rf):
    expected = _multiplier_index_from_template(n_in, n_out, rf)
    assert np.array_equal(multiplier_of_weight((n_in, n_out), rf), expected)
    groups, n = structure_groups((n_in, n_out), "pattern", reuse_factor=rf)
    assert n == n_in * n_out // rf and np.array_equal(groups, expected)
    # every multiplier owns exactly RF weights (one per reuse cycle)
    assert np.all(np.bincount(groups.ravel()) == rf)


def test_pattern_positions_match_hls4ml_converted_weights(tmp_path):
    # hls4ml's own Resource conversion: the flat weight array the C++ reads must be our positions
    model = tiny_mlp()
    design = Design.from_keras(model, board="pynq-z2", strategy="Resource", reuse_factor=8)
    hm = design.convert(model, output_dir=str(tmp_path / "prj"))
    kernel = model.get_layer("fc1").kernel.numpy()
    flat = np.asarray(hm.graph["fc1"].get_weights("weight").data).ravel()
    from hlsnb.prune import hls4ml_weight_position

    pos = hls4ml_weight_position(kernel.shape)
    assert np.allclose(flat[pos], kernel)


def test_structured_block_unstructured_groups():
    g, n = structure_groups((3, 5), "structured")
    assert n == 5 and np.array_equal(g[:, 2], [2, 2, 2])
    g, n = structure_groups((3, 3, 2, 4), "structured")  # Conv2D kernel: filters are the last axis
    assert n == 4 and np.all(g[..., 1] == 1)
    g, n = structure_groups((4, 6), "block", block_shape=(2, 3))
    assert n == 4 and g[0, 0] == g[1, 2] == 0 and g[2, 3] == 3
    g, n = structure_groups((4, 6), "unstructured")
    assert n == 24 and len(np.unique(g)) == 24
    with pytest.raises(ValueError, match="does not tile"):
        structure_groups((4, 6), "block", block_shape=(3, 3))
    with pytest.raises(ValueError, match="does not divide"):
        structure_groups((4, 6), "pattern", reuse_factor=5)


# ---------------------------------------------------------------- knapsack
def test_knapsack_dynamic_programming_is_optimal():
    rng = np.random.default_rng(1)
    for _ in range(20):
        n = 8
        v = rng.random(n)
        w = rng.integers(1, 6, n)
        cap = int(rng.integers(3, 15))
        r = solve_knapsack(v, w, cap)
        best = max(sum(v[list(s)]) for k in range(n + 1) for s in itertools.combinations(range(n), k)
                   if sum(w[list(s)]) <= cap)
        assert r.method == "dynamic programming"
        assert r.used[0] <= cap and r.value == pytest.approx(best)


def test_knapsack_equal_costs_keeps_the_most_important_and_respects_forced():
    v = np.array([5.0, 1.0, 4.0, 3.0, 2.0])
    r = solve_knapsack(v, np.full(5, 0.5), 1.0)
    assert r.method == "equal cost" and set(np.flatnonzero(r.selected)) == {0, 2}
    forced = np.array([False, True, False, False, False])
    r = solve_knapsack(v, np.full(5, 0.5), 1.0, forced=forced)
    assert set(np.flatnonzero(r.selected)) == {0, 1}
    with pytest.raises(InfeasibleBudget):
        solve_knapsack(v, np.ones(5), 1, forced=np.array([True, True, False, False, False]))
    # several dimensions: the greedy solver never exceeds any capacity
    rng = np.random.default_rng(2)
    c = rng.integers(0, 4, (2, 40))
    r = solve_knapsack(rng.random(40), c, [20, 15])
    assert np.all(r.used <= [20, 15]) and r.selected.sum() > 5


# ---------------------------------------------------------------- schedulers
def _run(s, accept):
    seen = []
    go, x = s.update_step()
    while go and len(seen) < 50:
        seen.append(round(x, 4))
        go, x = s.update_step() if accept(x) else s.repair_step()
    return seen, x


def test_schedulers_reach_the_final_sparsity():
    seen, last = _run(PolynomialScheduler(steps=4, final=0.8), lambda x: True)
    assert len(seen) == 4 and seen[-1] == 0.8 and seen == sorted(seen)
    seen, _ = _run(ConstantScheduler(step=0.3, final=0.8), lambda x: True)
    assert seen == [0.3, 0.6, 0.8]
    seen, last = _run(BinaryScheduler(threshold=0.01, final=0.9), lambda x: True)
    assert seen == [0.9] and last == 0.9  # the final target passes at once
    seen, last = _run(BinaryScheduler(threshold=0.01, final=0.9), lambda x: x <= 0.6)
    assert 0.59 <= last <= 0.6 and seen[0] == 0.9  # binary search settles just under the limit
    with pytest.raises(ValueError):
        PolynomialScheduler(steps=0)


# ---------------------------------------------------------------- masks through fine-tuning
def test_masks_stay_exactly_zero_through_fine_tuning():
    model = tiny_mlp()
    X, y, *_ = tiny_data()
    rng = np.random.default_rng(0)
    masks = {n: LayerMask((rng.random(model.get_layer(n).kernel.shape) > 0.5).astype(np.float32))
             for n in ("fc1", "out")}
    before = {n: model.get_layer(n).kernel.numpy().copy() for n in masks}
    with enforce_masks(model, masks):
        model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
        model.fit(X, y, epochs=3, batch_size=16, verbose=0)
    assert mask_violations(model, masks) == {}
    for n, m in masks.items():
        k = model.get_layer(n).kernel.numpy()
        assert np.all(k[m.kernel == 0] == 0.0)
        assert not np.allclose(k[m.kernel == 1], before[n][m.kernel == 1])  # the rest did train
        assert model.get_layer(n).kernel.constraint is None  # removed again: the model serialises plainly
    # control: without enforcement Adam moves zeroed weights off zero, so the check above can fail
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=1, batch_size=16, verbose=0)
    assert mask_violations(model, masks)


# ---------------------------------------------------------------- prune end to end
def test_prune_latency_mlp_report_and_csim(mlp, digits16, tmp_path):
    design = Design.from_keras(mlp, board="pynq-z2")
    original = [w.copy() for w in mlp.get_weights()]
    pruned, rep = prune(mlp, design, "dsp", digits16, target=0.7, scheduler=PolynomialScheduler(steps=2),
                        epochs=3, progress=False, output_dir=str(tmp_path / "csim"))
    assert all(np.array_equal(a, b) for a, b in zip(original, mlp.get_weights()))  # input model untouched
    assert rep.status == "done" and rep.target_reached
    assert {r["structure"] for r in rep.layers} == {"unstructured"}  # Latency RF 1: single weights
    assert rep.objective_after[0] <= 0.3 * rep.objective_before[0] + 1
    assert 0.6 < rep.sparsity < 0.8
    assert rep.dsp_after < 0.5 * rep.dsp_before  # estimator sees the zeros (constant folding in Latency)
    assert rep.keras_accuracy_after >= rep.keras_accuracy_before - 0.05
    assert rep.csim_error is None and abs(rep.csim_accuracy - rep.keras_accuracy_after) <= 0.02
    assert mask_violations(pruned, rep.masks) == {}
    assert rep.design.layer("fc2").n_zeros == rep.layers[1]["zeros_after"] > 0
    assert "HLS csynth estimate" in rep.summary() and "C-simulation" in rep.summary()
    assert [s.sparsity for s in rep.steps][-1] == pytest.approx(0.7)


def test_prune_resource_uses_multiplier_patterns():
    model = tiny_mlp()
    X, y, Xt, yt = tiny_data()
    design = Design.from_keras(model, board="pynq-z2", strategy="Resource", reuse_factor=8)
    pruned, rep = prune(model, design, "dsp", (X, y, Xt, yt), target=0.5, scheduler="constant", epochs=1,
                        csim=False, progress=False)
    for name in ("fc1", "out"):
        assert rep.masks[name] is not None
        k = pruned.get_layer(name).kernel.numpy()
        mult = multiplier_of_weight(k.shape, 8)
        zero_mult = [m for m in range(mult.max() + 1) if np.all(k[mult == m] == 0)]
        assert zero_mult, f"{name}: no whole multiplier pruned"
        # every zero lies in a fully pruned multiplier (a kept multiplier may have no zero: it saves nothing)
        assert np.all(np.isin(mult[k == 0], zero_mult))
    assert {r["structure"] for r in rep.layers} == {"pattern"}
    assert rep.objective_after[0] == pytest.approx(0.5 * rep.objective_before[0], abs=2)


def test_prune_structured_removes_whole_neurons_but_no_outputs():
    model = tiny_mlp()
    X, y, Xt, yt = tiny_data()
    design = Design.from_keras(model, board="pynq-z2")
    pruned, rep = prune(model, design, "gpu_flops", (X, y, Xt, yt), target=0.5, scheduler="constant", epochs=1,
                        csim=False, progress=False)
    k = pruned.get_layer("fc1").kernel.numpy()
    b = pruned.get_layer("fc1").bias.numpy()
    dead = np.all(k == 0, axis=0)
    assert 0 < dead.sum() < k.shape[1]
    assert np.count_nonzero(k[:, ~dead] == 0) == 0  # zeros come as whole columns (neurons)
    assert np.all(b[dead] == 0)
    out = {r["layer"]: r for r in rep.layers}["out"]
    assert out["zeros_after"] == 0 and "last layer" in out["note"]


def test_prune_block_structure_override():
    model = tiny_mlp()
    X, y, Xt, yt = tiny_data()
    design = Design.from_keras(model, board="pynq-z2")
    pruned, rep = prune(model, design, "parameters", (X, y, Xt, yt), target=0.5, structure=("block", (4, 4)),
                        layers=["fc1"], scheduler="constant", epochs=1, csim=False, progress=False)
    k = pruned.get_layer("fc1").kernel.numpy()
    blocks = k.reshape(2, 4, 4, 4).transpose(0, 2, 1, 3).reshape(8, 16)
    zero_blocks = np.all(blocks == 0, axis=1)
    assert zero_blocks.sum() == 4
    assert np.count_nonzero(blocks[~zero_blocks] == 0) == 0
    assert np.count_nonzero(pruned.get_layer("out").kernel.numpy() == 0) == 0  # not asked for


def test_tolerance_stops_early_and_returns_the_last_good_state():
    model = tiny_mlp()
    X, y, Xt, yt = tiny_data()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=20, verbose=0)
    design = Design.from_keras(model, board="pynq-z2")
    with pytest.warns(UserWarning, match="not reached"):
        pruned, rep = prune(model, design, "parameters", (X, y, Xt, yt), target=0.95, tolerance=0.0,
                            scheduler=PolynomialScheduler(steps=3, power=1), epochs=1, csim=False, progress=False)
    assert rep.status in ("stopped", "unpruned") and not rep.target_reached
    assert any(not s.accepted for s in rep.steps)
    assert mask_violations(pruned, rep.masks) == {}
    assert rep.sparsity < 0.9


# ---------------------------------------------------------------- bad input
def test_impossible_budget_fails_before_training(fresh_mlp, digits16):
    design = Design.from_keras(fresh_mlp, board="pynq-z2")
    plan = plan_pruning(fresh_mlp, design, "dsp")
    with pytest.raises(InfeasibleBudget, match="impossible target.*cannot go below"):
        prune(fresh_mlp, design, "dsp", digits16, target=Budget(1), progress=False)
    with pytest.raises(InfeasibleBudget):
        plan.final_sparsity(0)  # int budget of 0 DSPs
    with pytest.raises(ValueError, match="must be in \\[0, 1\\)"):
        prune(fresh_mlp, design, "dsp", digits16, target=1.5, progress=False)
    assert plan.final_sparsity(Budget(int(plan.total[0]) + 10)) == 0.0


def test_layer_the_objective_cannot_optimise(fresh_mlp, digits16):
    design = Design.from_keras(fresh_mlp, board="pynq-z2")
    design.set("fc1", weight_precision="ap_fixed<8,3>")
    with pytest.raises(ValueError, match="'fc1'.*cannot optimise.*9 bits"):
        prune(fresh_mlp, design, "dsp", digits16, layers=["fc1"], progress=False)
    plan = plan_pruning(fresh_mlp, design, "dsp")  # without layers=: skipped, and the plan says why
    assert not plan.layers["fc1"].prunable and "9 bits" in plan.layers["fc1"].reason
    design = Design.from_keras(fresh_mlp, board="pynq-z2", reuse_factor=2)  # Latency RF 2: zeros save no DSP
    with pytest.raises(ValueError, match="can prune no layer.*ReuseFactor 2"):
        plan_pruning(fresh_mlp, design, "dsp")


def test_unknown_layers_are_refused(fresh_mlp, digits16):
    design = Design.from_keras(fresh_mlp, board="pynq-z2")
    odd = Design(design.layers + [LayerSpec(name="noise", layer_type="GaussianNoise", keras_class="GaussianNoise")],
                 board="pynq-z2")
    with pytest.raises(ValueError, match="does not know.*'noise'"):
        prune(fresh_mlp, odd, "dsp", digits16, progress=False)
    other = keras.Sequential([keras.Input((16,), name="inputs"), keras.layers.GaussianNoise(0.1, name="noise")]
                             + [keras.layers.Dense(u, name=n) for u, n in ((64, "fc1"), (32, "fc2"), (32, "fc3"),
                                                                            (5, "output"))])
    with pytest.raises(ValueError, match="'noise' \\(GaussianNoise\\) is not in the design"):
        prune(other, design, "dsp", digits16, progress=False)
    with pytest.raises(ValueError, match="unknown objective"):
        prune(fresh_mlp, design, "watts", digits16, progress=False)


# ---------------------------------------------------------------- the slider
def test_pruning_slider_estimates_at_once_and_keeps_points():
    from hlsnb.widgets.pruning import PruningSlider

    model = tiny_mlp(n_in=16, hidden=32)
    X, y, Xt, yt = tiny_data(n_in=16)
    design = Design.from_keras(model, board="pynq-z2")
    w = PruningSlider(model, design, (X, y, Xt, yt), prune_kwargs=dict(epochs=1, csim=False))
    dsps = []
    for v in (0.0, 0.5, 0.9):
        w.slider.value = v  # what the browser does
        assert w.target == v
        dsps.append(w.estimate["dsp"])
        assert "estimated" in w.estimate_html.value
    assert dsps[0] > dsps[1] > dsps[2]
    w.target = 0.5
    w.button.click()
    w.target = 0.9
    w.run()
    assert len(w.points) == 2 and len(w.figure.data[0].x) == 2  # the earlier point is kept
    assert w.points[1]["dsp"] < w.points[0]["dsp"]
    assert w.progress.value == w.progress.max > 0 and not w.running
    assert w.figure.data[1].x[0] > w.points[0]["dsp"]  # the unpruned reference point
    wb = PruningSlider(model, design, (X, y, Xt, yt), mode="budget", live=False)
    assert wb.slider.min >= 1 and wb.slider.max == int(wb.plan.total[0])
    wb.target = wb.slider.min + 10
    assert wb.estimate["objective"] <= wb.slider.min + 10 + 1e-6
    import traitlets

    with pytest.raises(traitlets.TraitError, match="outside what pruning reaches"):
        wb.target = 0


# ---------------------------------------------------------------- the exact knapsack (issue 26)
def _brute_force(v, c, cap):
    best = 0.0
    for bits in itertools.product((0, 1), repeat=len(v)):
        x = np.array(bits, dtype=bool)
        if np.all(c[:, x].sum(axis=1) <= np.asarray(cap) + 1e-9):
            best = max(best, float(v[x].sum()))
    return best


def test_knapsack_is_exact_for_several_dimensions_and_fractional_costs():
    rng = np.random.default_rng(7)
    beat_greedy = 0
    for trial in range(6):
        v = rng.random(12)
        c = np.vstack([rng.integers(1, 9, 12), rng.random(12) * 5]) if trial % 2 else rng.integers(1, 9, (2, 12))
        cap = c.sum(axis=1) * 0.4
        r = solve_knapsack(v, c, cap)
        g = solve_knapsack(v, c, cap, method="greedy")
        assert r.method in ("MILP", "greedy (within the MILP gap of the LP bound: optimal)")
        assert r.value == pytest.approx(_brute_force(v, c, cap), rel=1e-4)
        assert np.all(r.used <= cap + 1e-9) and r.value >= g.value - 1e-12
        assert r.greedy_value == pytest.approx(g.value)
        beat_greedy += r.value > g.value + 1e-9
    assert beat_greedy >= 1  # these instances are ones the greedy solver gets wrong
    # one dimension, fractional costs: the greedy answer with its certified distance to the LP bound
    v, c = rng.random(14), rng.random(14) * 3
    r = solve_knapsack(v, c, c.sum() * 0.5)
    assert r.method.startswith("greedy (one dimension: within")
    assert _brute_force(v, c[None, :], [c.sum() * 0.5]) - r.value <= v.max()
    assert solve_knapsack(v, c, c.sum() * 0.5, method="exact").value == pytest.approx(
        _brute_force(v, c[None, :], [c.sum() * 0.5]), rel=1e-4)


def test_knapsack_time_limit_falls_back_to_a_feasible_answer():
    rng = np.random.default_rng(3)
    v, c = rng.random(3000), rng.integers(0, 5, (3, 3000))
    cap = c.sum(axis=1) * 0.3
    r = solve_knapsack(v, c, cap, time_limit=0.01)
    assert np.all(r.used <= cap) and r.value >= r.greedy_value - 1e-9
    assert r.method != "MILP"  # not proven optimal in 10 ms: the method says so
    with pytest.raises(ValueError, match="valid: auto, exact, greedy"):
        solve_knapsack(v, c, cap, method="cbc")


# ---------------------------------------------------------------- gradual masks, distillation, budgets (issue 28)
def test_ramp_prunes_gradually_within_a_step_and_keeps_the_epochs():
    from hlsnb.prune import finetune

    model = tiny_mlp()
    X, y, Xt, yt = tiny_data()
    design = Design.from_keras(model, board="pynq-z2")
    seen = []
    real = finetune.enforce_masks

    def spy(m, masks):
        seen.append(sum(float(1 - v.kernel.mean()) * v.kernel.size for v in masks.values()))
        return real(m, masks)

    epochs = []
    finetune.enforce_masks = spy
    try:
        pruned, rep = prune(model, design, "parameters", (X, y, Xt, yt), target=0.2, scheduler="constant", epochs=3,
                            ramp=3, csim=False, progress=lambda done, total, text: epochs.append(done))
    finally:
        finetune.enforce_masks = real
    # one step (constant scheduler, step 0.1 ... ) per tolerance check; within each step three growing masks
    assert len(seen) == 3 * len(rep.steps)
    first = seen[:3]
    assert first[0] < first[1] < first[2]
    assert max(epochs) == 3 * len(rep.steps)  # the ramp does not add epochs
    assert mask_violations(pruned, rep.masks) == {} and rep.status == "done"


def test_rewind_trains_without_masks_after_the_check_and_ranks_afresh():
    """prune(rewind=1), hls4ml's weight rewinding: every step trains epochs - 1 epochs with its masks, is checked,
    then one epoch without them, so weights pruned by one step have grown back when the next step ranks them; the
    pruned model is the last accepted step as checked, masks enforced; the epochs per step do not change."""
    from hlsnb.prune import finetune

    model = tiny_mlp()
    X, y, Xt, yt = tiny_data()
    design = Design.from_keras(model, board="pynq-z2")
    entering, real = [], finetune.enforce_masks

    def spy(m, masks):  # the kernels as a step's masks are put on, and those masks
        entering.append(({n: m.get_layer(n).kernel.numpy().copy() for n in masks},
                         {n: v.kernel.copy() for n, v in masks.items()}))
        return real(m, masks)

    done = []
    finetune.enforce_masks = spy
    try:
        pruned, rep = prune(model, design, "parameters", (X, y, Xt, yt), target=0.5, scheduler="polynomial",
                            epochs=3, rewind=1, csim=False, progress=lambda d, total, text: done.append(d))
    finally:
        finetune.enforce_masks = real
    n = len(rep.steps)
    assert n >= 3 and len(entering) == n and rep.status == "done"
    # 2 masked epochs per step, 1 rewinding epoch after every step but the last
    assert max(done) == 3 * n - 1
    for (kernels, _), (_, before) in zip(entering[1:], entering[:-1]):
        regrown = sum(int(np.count_nonzero((before[k] == 0) & (kernels[k] != 0))) for k in kernels)
        assert regrown > 0  # weights the step before pruned are nonzero again: rewinding trained them
    assert mask_violations(pruned, rep.masks) == {}
    with pytest.raises(ValueError, match=r"rewind \(3\).*epochs \(3\)"):
        prune(model, design, "parameters", (X, y), target=0.3, epochs=3, rewind=3, csim=False, progress=False)
    with pytest.raises(ValueError, match=r"rewind \(1\).*ramp 3"):
        prune(model, design, "parameters", (X, y), target=0.3, epochs=3, ramp=3, rewind=1, csim=False,
              progress=False)
    with pytest.raises(ValueError, match="rewind .*shift_add"):
        prune(model, design, "dsp", (X, y), target=0.3, epochs=3, rewind=1, shift_add=True, csim=False,
              progress=False)


def test_warmup_starts_from_the_unpruned_models_best_epoch_only_if_it_beats_the_model():
    """prune(warmup=N), hls4ml's start from its tuner's best trial model: N epochs of the unpruned model without
    masks before the first step, kept (its best validation epoch) only if it scores above the model as given."""
    from hlsnb.prune import finetune

    model = tiny_mlp()  # untrained: ten more epochs beat it
    X, y, Xt, yt = tiny_data()
    design = Design.from_keras(model, board="pynq-z2")
    starts, real = [], finetune.enforce_masks

    def spy(m, masks):
        starts.append([w.copy() for w in m.get_weights()])
        return real(m, masks)

    finetune.enforce_masks = spy
    try:
        pruned, rep = prune(model, design, "parameters", (X, y, Xt, yt), target=0.3, scheduler="constant",
                            epochs=2, warmup=10, validation=(Xt, yt), csim=False, progress=False)
    finally:
        finetune.enforce_masks = real
    w = rep.warmup
    assert w.epochs == 10 and w.kept and w.val_accuracy > w.val_before == pytest.approx(rep.val_accuracy_baseline)
    assert not np.allclose(starts[0][0], model.get_weights()[0])  # the first step started from the warmed weights
    assert any(n.startswith("warm-up: the unpruned model fine-tuned 10 epoch(s)") and "started from it" in n
               for n in rep.notes)
    # a warm-up that loses accuracy (a trained model, a learning rate that wrecks its weights) is dropped
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=30, verbose=0)
    _, bad = prune(model, design, "parameters", (X, y, Xt, yt), target=0.3, scheduler="constant", epochs=1,
                   warmup=3, learning_rate=10.0, validation=(Xt, yt), csim=False, progress=False)
    assert not bad.warmup.kept and bad.warmup.val_accuracy < bad.warmup.val_before
    assert any("pruning started from the model as given" in n for n in bad.notes)
    with pytest.raises(ValueError, match=r"warmup \(2\).*probes"):
        prune(model, design, "parameters", (X, y, Xt, yt), target=0.3, warmup=2, validation=(Xt, yt), tolerance=0.02,
              scheduler=BinaryScheduler(probe=3), csim=False, progress=False)
    with pytest.raises(ValueError, match=r"warmup \(2\).*validation"):
        prune(model, design, "parameters", (X, y), target=0.3, warmup=2, validation_split=0.0, csim=False,
              progress=False)


def test_l1_choice_warmup_tries_every_strength_as_the_warm_up_and_starts_from_the_best():
    """prune(l1=[...], warmup=N, l1_choice="warmup"): one warm-up per candidate on the unpruned model, the best on
    the validation rows chosen and its warmed weights the start: the same prune as that strength's plain warm-up."""
    model = tiny_mlp()  # untrained: a warm-up without penalty beats it, a crushing penalty does not
    X, y, Xt, yt = tiny_data()
    design = Design.from_keras(model, board="pynq-z2")
    kw = dict(target=0.3, scheduler="constant", epochs=2, warmup=4, tolerance=0.5, validation=(Xt, yt), csim=False,
              progress=False)
    pruned, rep = prune(model, design, "parameters", (X, y, Xt, yt), l1=(0.0, 0.9), l1_choice="warmup", **kw)
    assert [(t.strength, t.sparsity, t.epochs, t.chosen) for t in rep.l1_trials] == [(0.0, 0.0, 4, True),
                                                                                       (0.9, 0.0, 4, False)]
    assert rep.l1 == 0.0 and rep.l1_trials[0].val_accuracy > rep.l1_trials[1].val_accuracy
    assert rep.warmup.kept and rep.warmup.val_accuracy == rep.l1_trials[0].val_accuracy
    assert any(n.startswith("L1 strength 0 chosen on the") and "one warm-up of 4 epoch(s) per candidate" in n
               and "pruning started from the 0 warm-up" in n and "8 epochs on top" in n for n in rep.notes)
    assert not any(n.startswith("warm-up:") for n in rep.notes)  # said once, in the choice's note
    plain, rep_plain = prune(model, design, "parameters", (X, y, Xt, yt), l1=0.0, **kw)
    assert rep_plain.warmup.val_accuracy == rep.warmup.val_accuracy
    for a, b in zip(pruned.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"l1_choice='warmup'.*needs both.*warmup epochs \(got 0\)"):
        prune(model, design, "parameters", (X, y, Xt, yt), **{**kw, "warmup": 0}, l1=(0.0, 1e-4),
              l1_choice="warmup")
    with pytest.raises(ValueError, match=r"l1_choice.*'step', 'warmup', 'unpruned'; got 'tuner'"):
        prune(model, design, "parameters", (X, y, Xt, yt), **kw, l1=(0.0, 1e-4), l1_choice="tuner")
    # "unpruned", hls4ml's order: trials of epochs // 2 epochs, then the chosen one warmed up `warmup` epochs more
    _, rep_u = prune(model, design, "parameters", (X, y, Xt, yt), l1=(0.0, 0.9), l1_choice="unpruned", **kw)
    assert [(t.strength, t.epochs, t.chosen) for t in rep_u.l1_trials] == [(0.0, 1, True), (0.9, 1, False)]
    assert rep_u.warmup.epochs == 5 and rep_u.warmup.val_accuracy >= rep_u.l1_trials[0].val_accuracy
    assert any("one trial of 1 epoch(s) per candidate" in n and "warmed up 4 epoch(s) more" in n
               and "6 epochs on top" in n for n in rep_u.notes)


def test_reference_start_measures_the_tolerance_from_the_kept_warm_up():
    """reference="start": the tolerance is spent from where pruning starts (the warm-up when kept), so the pruned
    model keeps the warm-up's gain; no control fine-tune; without a warm-up it is the model as given."""
    model = tiny_mlp()  # untrained: the warm-up gains
    X, y, Xt, yt = tiny_data()
    design = Design.from_keras(model, board="pynq-z2")
    kw = dict(target=0.6, scheduler="constant", epochs=2, tolerance=0.02, validation=(Xt, yt), csim=False,
              progress=False)
    _, rep = prune(model, design, "parameters", (X, y, Xt, yt), warmup=10, reference="start", **kw)
    assert rep.warmup.kept and rep.val_accuracy_reference == rep.warmup.val_accuracy > rep.val_accuracy_baseline
    assert all(st.accepted == (st.val_accuracy >= rep.warmup.val_accuracy - 0.02 - 1e-12) for st in rep.steps)
    assert any(n.startswith("tolerance measured against the model pruning started from (reference='start'): the "
                            "warm-up") for n in rep.notes)
    assert not any("fine-tuned the same way without pruning" in n for n in rep.notes)  # no control was run
    _, lower = prune(model, design, "parameters", (X, y, Xt, yt), warmup=10, reference="lower", **kw)
    assert lower.val_accuracy_reference <= rep.val_accuracy_baseline < rep.val_accuracy_reference
    _, given = prune(model, design, "parameters", (X, y, Xt, yt), reference="start", **kw)
    assert given.val_accuracy_reference == given.val_accuracy_baseline
    assert any("the model as given" in n and "reference='start'" in n for n in given.notes)
    with pytest.raises(ValueError, match=r"reference.*'start'; got 'warm'"):
        prune(model, design, "parameters", (X, y, Xt, yt), reference="warm", **kw)


def test_distillation_targets_mix_labels_and_teacher_probabilities():
    from hlsnb.prune.finetune import distillation_targets

    model = tiny_mlp()
    X, y, _, _ = tiny_data(n=32)
    t = distillation_targets(model, X, y, 4, 0.25)
    p = np.asarray(model(X))
    assert t.shape == (32, 4) and np.allclose(t.sum(axis=1), 1, atol=1e-5)
    assert np.allclose(t, 0.75 * np.eye(4)[y] + 0.25 * p, atol=1e-5)
    with pytest.raises(ValueError, match="distill"):
        prune(model, Design.from_keras(model, board="pynq-z2"), "parameters", (X, y), target=0.3, distill=0.5,
              loss=keras.losses.SparseCategoricalCrossentropy(), csim=False, progress=False, epochs=1)
    with pytest.raises(ValueError, match="ramp"):
        prune(model, Design.from_keras(model, board="pynq-z2"), "parameters", (X, y), target=0.3, ramp=5, epochs=2)


def test_binary_scheduler_max_steps_bounds_the_fine_tunes():
    s = BinaryScheduler(threshold=0.001, try_final_first=False, max_steps=5)
    s.reset(0.99)
    tried, _ = _run(s, lambda x: x < 0.9)
    assert len(tried) == 5 and s.planned_steps() == 5
    assert tried[:3] == pytest.approx([0.495, 0.7425, 0.86625], abs=1e-3)


def test_binary_scheduler_retries_a_sparsity_that_just_missed():
    """retries=1: a probe that misses the tolerance is fine-tuned once more from where it stood (``retrying`` tells
    the loop not to roll the weights back) before the search takes it as too high; retries count as fine-tunes."""
    s = BinaryScheduler(threshold=0.001, try_final_first=False, max_steps=5, retries=1)
    s.reset(0.99)
    misses = {0.495: 1}  # 0.495 misses once (an unlucky check), then passes

    def accept(x):
        key = round(x, 4)
        if misses.get(key):
            misses[key] -= 1
            return False
        return x < 0.9

    go, x = s.update_step()
    tried, retrying = [], []
    while go:
        tried.append(round(x, 4))
        ok = accept(x)
        go, x = s.update_step() if ok else s.repair_step()
        retrying.append(s.retrying)
    assert tried[:3] == [0.495, 0.495, 0.7425] and retrying[0] is True and retrying[1] is False
    assert len(tried) == 5
    # without retries the unlucky check caps the search below 0.495 for good
    plain = BinaryScheduler(threshold=0.001, try_final_first=False, max_steps=5)
    plain.reset(0.99)
    misses[0.495] = 1
    seen, last = _run(plain, accept)
    assert last < 0.495 and not plain.retrying
    # a probe that misses twice is too high: one retry, then the search goes below it
    twice = BinaryScheduler(threshold=0.001, try_final_first=False, max_steps=5, retries=1)
    twice.reset(0.99)
    seen, last = _run(twice, lambda x: x < 0.4)
    assert seen[:3] == pytest.approx([0.495, 0.495, 0.2475], abs=1e-4) and last < 0.4
    with pytest.raises(ValueError, match="retries"):
        BinaryScheduler(retries=-1)


def test_activation_importance_ignores_weights_on_dead_inputs():
    from hlsnb.prune.importance import group_importance, input_scales

    model = tiny_mlp(n_in=8)
    X = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    X[:, 3] = 0.0  # a blank pixel
    scales = input_scales(model, ["fc1"], X)
    k = model.get_layer("fc1").kernel.numpy()
    assert scales["fc1"].shape == (8, 1) and scales["fc1"][3, 0] == 0
    groups = np.arange(k.size).reshape(k.shape)
    imp = group_importance(k, groups, k.size, "activation", scales["fc1"]).reshape(k.shape)
    assert np.all(imp[3] == 0) and np.all(imp[[0, 1, 2, 4]] > 0)


def test_binary_scheduler_probe_brackets_the_search():
    """probe=N: N one-shot sparsities evenly spaced in (initial, final); bracket() starts the search between the
    highest probe still within tolerance (all below it too) and the first one past the accuracy cliff; the first
    fine-tune is the middle of that bracket, never ``final`` (which the probes showed to be past the cliff)."""
    s = BinaryScheduler(threshold=0.001, max_steps=5, probe=9)  # try_final_first=True by default
    s.reset(0.99)
    probes = s.probes()
    assert probes == pytest.approx([0.099 * k for k in range(1, 10)])
    # within tolerance up to 0.297 (0.396 misses, 0.495 passes again: not trusted), cliff (< 0.5 x base) at 0.792
    ok = {0.099: True, 0.198: True, 0.297: True, 0.396: False, 0.495: True}
    ratio = {0.594: 0.8, 0.693: 0.6, 0.792: 0.3, 0.891: 0.2}
    results = [(p, ok.get(round(p, 3), False), ratio.get(round(p, 3), 0.99)) for p in probes]
    assert s.bracket(results) == pytest.approx((0.297, 0.792))
    seen, last = _run(s, lambda x: x < 0.6)
    assert seen[0] == pytest.approx(0.5445, abs=1e-4) and len(seen) == 5
    assert 0.297 < last < 0.6 and all(0.297 < x < 0.792 for x in seen)
    with pytest.raises(RuntimeError, match="before the first"):
        s.bracket(results)
    # nothing within tolerance and no cliff: the bracket is the whole range
    w = BinaryScheduler(threshold=0.001, try_final_first=False, probe=3, cliff=0.1)
    w.reset(0.8)
    assert w.bracket([(p, False, 0.5) for p in w.probes()]) == (0.0, 0.8)
    assert BinaryScheduler().probes() == []
    for bad in (dict(probe=-1), dict(probe=True), dict(probe=2.0), dict(cliff=0), dict(cliff=1.0), dict(cliff="x")):
        with pytest.raises(ValueError, match=next(iter(bad))):
            BinaryScheduler(**bad)


def test_prune_probe_accepts_a_one_shot_state_and_best_epoch_keeps_the_best_epoch():
    """With probes prune evaluates one-shot masks before fine-tuning (reported in the notes, no fine-tune spent);
    best_epoch keeps, in every fine-tune, the epoch with the highest validation accuracy."""
    from hlsnb.prune import finetune

    model = tiny_mlp()
    X, y, Xt, yt = tiny_data()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=30, verbose=0)
    design = Design.from_keras(model, board="pynq-z2")
    vals, real = [], finetune.model_accuracy

    def spy(m, Xv, yv):
        vals.append(real(m, Xv, yv))
        return vals[-1]

    finetune.model_accuracy = spy
    try:
        pruned, rep = prune(model, design, "parameters", (X, y, Xt, yt), target=0.9, tolerance=0.02,
                            validation=(Xt, yt), epochs=3, best_epoch=True, csim=False, progress=False,
                            scheduler=BinaryScheduler(threshold=0.01, max_steps=2, probe=4),
                            reference="model")  # no control fine-tune: the checks counted below are the steps'
    finally:
        finetune.model_accuracy = real
    assert len(rep.steps) <= 2
    note = next(n for n in rep.notes if n.startswith("one-shot probes"))
    assert note.count("%") == 4
    # 4 probes, then per fine-tune 3 epoch checks and the step's own check, which is the best of the three
    per_step = vals[4:]
    assert len(per_step) == 4 * len(rep.steps)
    for i, step in enumerate(rep.steps):
        epochs, check = per_step[4 * i:4 * i + 3], per_step[4 * i + 3]
        assert check == pytest.approx(max(epochs)) and step.val_accuracy == pytest.approx(check)
    assert mask_violations(pruned, rep.masks) == {}
    # the highest probe within tolerance (and all below it) is accepted untrained: the search only goes above it
    import re

    lower = 0.0
    for sp, out in re.findall(r"(\d\.\d+): [\d.]+ %( \(out of tolerance\))?", note):
        if out:
            break
        lower = float(sp)
    assert rep.final_sparsity >= lower - 1e-3 and all(st.sparsity > lower for st in rep.steps)
    with pytest.raises(ValueError, match="best_epoch"):
        prune(model, design, "parameters", (X, y), target=0.3, best_epoch="yes", csim=False, progress=False)
    with pytest.raises(ValueError, match="best_epoch .* validation"):
        prune(model, design, "parameters", (X, y), target=0.3, best_epoch=True, validation_split=0.0, csim=False,
              progress=False)
    with pytest.raises(ValueError, match="tolerance"):
        prune(model, design, "parameters", (X, y), target=0.3, scheduler=BinaryScheduler(probe=3), csim=False,
              progress=False)


def test_l1_penalty_acts_during_fine_tuning_only():
    """l1: the prunable kernels carry an L1 penalty inside the fine-tune (it is in the training loss and pulls the
    weights the data does not need to zero) and nothing of it stays on the returned model."""
    from hlsnb.prune.finetune import _l1_penalty

    model = tiny_mlp()
    X, y, _, _ = tiny_data()
    k = model.get_layer("fc1").kernel
    with _l1_penalty(model, ["fc1"], 0.1):
        assert float(sum(model.losses)) == pytest.approx(0.1 * float(np.abs(k.numpy()).sum()), rel=1e-5)
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
        model.fit(X, y, epochs=20, verbose=0)
    assert model.losses == [] and k.regularizer is None
    assert np.mean(np.abs(k.numpy()) < 0.02) > 0.5  # most first-layer weights pushed to (nearly) zero
    assert np.mean(np.abs(model.get_layer("out").kernel.numpy()) < 0.02) < 0.5  # the unpenalised layer is not
    with pytest.raises(ValueError, match="l1"):
        prune(model, Design.from_keras(model, board="pynq-z2"), "parameters", (X, y), target=0.3, l1=-1e-4,
              csim=False, progress=False)
