"""Diagrams: DOT text, gradient colours, kinds of nodes, clusters, size limits, text trees,
rendering through the `render` extra, and rich display."""

from __future__ import annotations

import math
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from support import IN_CI, require

import autograd
from autograd import Value, viz
from autograd.viz import (
    GRADIENT_BANDS,
    KIND_COLOURS,
    ZERO_COLOUR,
    RendererNotFound,
    groups_from_parameters,
    renderer,
    text_tree,
    to_dot,
)


def gate_example() -> tuple[Value, Value, Value, Value]:
    """y = x1 * x2 + x3 at (100, 2, 300), from the first seed article."""
    x1, x2, x3 = Value(100.0, "x1"), Value(2.0, "x2"), Value(300.0, "x3")
    y = x1 * x2 + x3
    y.label = "y"
    y.backward()
    return y, x1, x2, x3


def node_line(dot: str, name: str) -> str:
    """The DOT statement of the value node whose bold name is `name`."""
    (line,) = [ln for ln in dot.splitlines() if f"<b>{name}</b>" in ln]
    return line


def node_id(dot: str, name: str) -> str:
    match = re.match(r"\s*(v\d+) ", node_line(dot, name))
    assert match is not None
    return match.group(1)


def band_colour(g: float) -> str:
    """The expected colour, from the band table and log10 |g|, written independently."""
    decade = math.log10(abs(g))
    edges = [-6, -3, -1, 1, 3, 6]
    return GRADIENT_BANDS[sum(decade >= e for e in edges)][1]


def trained_mlp_loss() -> tuple[Value, autograd.nn.MLP, list[tuple[str, Value]]]:
    """A squared error of a 2-3-1 network after one backward pass, and its named parameters."""
    model = autograd.nn.MLP(2, [3, 1], seed=0)
    out = model([0.5, -1.0])
    loss = (out - 1.0) ** 2
    loss.backward()
    return loss, model, model.named_parameters()


# -- DOT text -----------------------------------------------------------------------------------


class TestDotText:
    def test_nodes_show_label_data_and_grad(self) -> None:
        y, *_ = gate_example()
        dot = to_dot(y)
        assert "data 100" in node_line(dot, "x1") and "grad 2" in node_line(dot, "x1")
        assert "data 2" in node_line(dot, "x2") and "grad 100" in node_line(dot, "x2")
        assert "data 300" in node_line(dot, "x3") and "grad 1" in node_line(dot, "x3")
        assert "data 500" in node_line(dot, "y")

    def test_edges_run_parent_to_op_to_result(self) -> None:
        y, _x1, _x2, _x3 = gate_example()
        dot = to_dot(y)
        ids = {name: node_id(dot, name) for name in ("x1", "x2", "x3", "y")}
        product = [ln for ln in dot.splitlines() if 'label="*"' in ln]
        assert len(product) == 1
        mul_op = product[0].split()[0]
        mul_value = mul_op.removesuffix("_op")
        assert re.search(rf"\b{ids['x1']} -> {mul_op}\b", dot)
        assert re.search(rf"\b{ids['x2']} -> {mul_op}\b", dot)
        assert re.search(rf"\b{mul_op} -> {mul_value}\b", dot)
        assert re.search(rf"\b{ids['x3']} -> {ids['y']}_op\b", dot)
        assert re.search(rf"\b{ids['y']}_op -> {ids['y']}\b", dot)
        assert len(re.findall(r"->", dot)) == 6

    def test_op_nodes_show_the_op(self) -> None:
        x = Value(0.5, label="x")
        dot = to_dot((x * x).tanh().exp())
        for name in ("*", "tanh", "exp"):
            assert f'label="{name}"' in dot

    def test_same_graph_gives_identical_text(self) -> None:
        first = to_dot(gate_example()[0])
        second = to_dot(gate_example()[0])  # new objects at other addresses
        assert first == second
        assert "0x" not in first

    def test_rankdir_and_number_format(self) -> None:
        y, *_ = gate_example()
        assert "rankdir=LR" in to_dot(y)
        assert "rankdir=TB" in to_dot(y, rankdir="TB")
        assert "data 100.00" in to_dot(y, number_format=".2f")
        assert "data <100>" not in to_dot(y, number_format=lambda v: f"<{v:g}>")
        assert "data &lt;100&gt;" in to_dot(y, number_format=lambda v: f"<{v:g}>")
        with pytest.raises(ValueError, match="rankdir"):
            to_dot(y, rankdir="sideways")
        with pytest.raises(ValueError, match="number_format"):
            to_dot(y, number_format="%d")

    def test_show_grad_off_hides_grads_and_legend(self) -> None:
        y, *_ = gate_example()
        dot = to_dot(y, show_grad=False)
        assert not re.search(r"\bgrad\b", dot) and "legend" not in dot

    def test_labels_are_escaped(self) -> None:
        x = Value(1.0, label='<b>&"x"')
        dot = to_dot(x * 2)
        assert "&lt;b&gt;&amp;&quot;x&quot;" in dot
        assert '<b><b>' not in dot

    def test_not_a_value(self) -> None:
        with pytest.raises(TypeError, match="Value"):
            to_dot(3.0)  # type: ignore[arg-type]


# -- gradient colours ---------------------------------------------------------------------------


class TestGradientColours:
    @pytest.mark.parametrize("g", [3e-9, -2e-5, 0.004, 0.5, -42.0, 5e4, 1e9])
    def test_bands_on_a_log_scale(self, g: float) -> None:
        assert viz.gradient_colour(g) == band_colour(g)

    def test_zero_and_not_finite(self) -> None:
        assert viz.gradient_colour(0.0) == ZERO_COLOUR
        assert viz.gradient_colour(math.nan) == viz.NONFINITE_COLOUR
        assert viz.gradient_colour(-math.inf) == viz.NONFINITE_COLOUR

    def test_vanishing_gradient_is_coloured_as_vanishing(self) -> None:
        x = Value(-30.0, label="x")
        y = x.sigmoid()
        y.backward()
        s = 1.0 / (1.0 + math.exp(30.0))
        expected = s * (1.0 - s)  # d sigmoid/dx = s (1 - s), about 9e-14
        dot = to_dot(y)
        assert expected < 1e-6
        assert f'bgcolor="{GRADIENT_BANDS[0][1]}"' in node_line(dot, "x")
        edge = next(ln for ln in dot.splitlines() if f"{node_id(dot, 'x')} -> " in ln)
        assert f'color="{GRADIENT_BANDS[0][1]}"' in edge

    def test_exploding_gradient_is_coloured_as_exploding(self) -> None:
        x = Value(20.0, label="x")
        y = x.exp()
        y.backward()
        assert math.exp(20.0) > 1e6  # d e^x/dx = e^x
        dot = to_dot(y)
        assert f'bgcolor="{GRADIENT_BANDS[-1][1]}"' in node_line(dot, "x")

    def test_edge_width_grows_with_the_gradient(self) -> None:
        small, large = Value(1e-5, label="small"), Value(1e4, label="large")
        y = small * large  # d/d small = 1e4, d/d large = 1e-5
        y.backward()
        dot = to_dot(y)

        def width(name: str) -> float:
            edge = next(ln for ln in dot.splitlines() if f"{node_id(dot, name)} -> " in ln)
            match = re.search(r"penwidth=([\d.]+)", edge)
            assert match is not None
            return float(match.group(1))

        assert width("small") > width("large")
        assert "penwidth" not in to_dot(y, size_by_grad=False)

    def test_legend_lists_the_bands(self) -> None:
        y, *_ = gate_example()
        dot = to_dot(y)
        legend = next(ln for ln in dot.splitlines() if ln.strip().startswith("legend "))
        for _, colour, _ in GRADIENT_BANDS:
            assert colour in legend
        assert "legend" not in to_dot(y, legend=False)

    def test_no_colours_before_backward(self) -> None:
        x = Value(2.0, label="x")
        dot = to_dot(x * x)
        assert "penwidth" not in dot
        assert all(colour not in dot for _, colour, _ in GRADIENT_BANDS)


# -- kinds of nodes -----------------------------------------------------------------------------


class TestKinds:
    def test_parameters_inputs_and_constants_differ(self) -> None:
        x, w = Value(2.0, label="x"), Value(-3.0, label="w")
        y = w * x + 1.0
        y.backward()
        dot = to_dot(y, params=[w])
        assert "(parameter)" in node_line(dot, "w") and 'border="2"' in node_line(dot, "w")
        assert KIND_COLOURS["parameter"] in node_line(dot, "w")
        assert KIND_COLOURS["input"] in node_line(dot, "x") and "(input)" in node_line(dot, "x")
        constant = [ln for ln in dot.splitlines() if "(takes no gradient)" in ln]
        assert len(constant) == 1 and 'style="rounded,dashed"' in constant[0]
        assert "grad" not in constant[0].split("label=")[1]  # a constant has no gradient cell
        (cid,) = re.findall(r"^\t(v\d+) ", constant[0])
        edge = next(ln for ln in dot.splitlines() if ln.strip().startswith(f"{cid} -> "))
        assert "dashed" in edge and "penwidth" not in edge  # it carries no gradient back
        legend = next(ln for ln in dot.splitlines() if ln.strip().startswith("legend "))
        for kind in ("parameter", "input", "constant", "intermediate"):
            assert f">{kind}</td>" in legend

    def test_named_parameters_give_names(self) -> None:
        w = Value(0.5)  # no label of its own
        y = w * Value(4.0, label="x")
        assert "<b>layer.w</b>" in to_dot(y, params={"layer.w": w})
        assert "<b>layer.w</b>" in to_dot(y, params=[("layer.w", w)])
        with pytest.raises(TypeError, match="params"):
            to_dot(y, params=[1.0])


# -- clusters -----------------------------------------------------------------------------------


def two_neurons() -> tuple[Value, dict[str, Value]]:
    """A hidden neuron feeding an output neuron, then a squared error: parameters by name."""
    x = Value(0.5, label="x")
    params = {
        "layers.0.neurons.0.w.0": Value(0.3), "layers.0.neurons.0.b": Value(0.1),
        "layers.1.neurons.0.w.0": Value(-0.7), "layers.1.neurons.0.b": Value(0.2),
    }
    h = (params["layers.0.neurons.0.w.0"] * x + params["layers.0.neurons.0.b"]).tanh()
    out = (params["layers.1.neurons.0.w.0"] * h + params["layers.1.neurons.0.b"]).tanh()
    loss = (out - Value(1.0, label="y")) ** 2  # the target is an input, outside every group
    loss.backward()
    return loss, params


class TestClusters:
    def test_groups_from_dotted_names(self) -> None:
        _, params = two_neurons()
        groups = groups_from_parameters(params)
        assert groups[params["layers.0.neurons.0.w.0"]] == ("layers.0", "neurons.0")
        assert groups[params["layers.1.neurons.0.b"]] == ("layers.1", "neurons.0")
        assert groups_from_parameters({"w": Value(1.0)}) == {}
        assert groups_from_parameters([("layer1.neuron0.w0", Value(1.0))]) != {}

    def test_nested_clusters_hold_each_neuron(self) -> None:
        loss, params = two_neurons()
        dot = to_dot(loss, params=params, groups=True)
        assert dot.count("subgraph cluster_") == 4  # two layers, a neuron in each
        assert "layers.1.neurons.0.b" in dot
        start = dot.index('label="layers.0"')
        first_neuron = dot[start:dot.index("\n\t}\n", start)]  # up to the top-level brace
        # A neuron's parameters are one table, a row (and an edge port) each, short names.
        (stack,) = re.findall(r'(ps\d+) \[id="ps\d+" shape=plaintext tooltip="parameters: '
                              r'layers.0.neurons.0.w.0, layers.0.neurons.0.b"', dot)
        assert re.search(rf"\b{stack}\b", first_neuron)
        assert "<b>w.0</b>" in dot and "<b>layers.0.neurons.0.w.0</b>" not in dot
        assert re.search(rf"\b{stack}:p0 -> v\d+_op", dot)  # w.0 first, then b
        assert re.search(rf"\b{stack}:p1 -> v\d+_op", dot)
        tanh_ops = [ln.split()[0] for ln in dot.splitlines() if 'label="tanh"' in ln]
        assert re.search(rf"\b{tanh_ops[0]}\b", first_neuron)  # the neuron's own ops join it
        assert not re.search(rf"\b{tanh_ops[1]}\b", first_neuron)
        loss_id = next(ln.split()[0] for ln in dot.splitlines() if "<b>" not in ln
                       and KIND_COLOURS["output"] in ln)
        clusters = dot[dot.index("subgraph cluster_"):]
        assert not re.search(rf"\b{loss_id}\b", clusters)  # the loss mixes groups: no cluster

    def test_explicit_group_mapping(self) -> None:
        a, b = Value(1.0, label="a"), Value(2.0, label="b")
        y = a * b
        dot = to_dot(y, groups={a: "left", b: ("outer", "inner")})
        assert 'label="left"' in dot and 'label="outer"' in dot and 'label="inner"' in dot
        with pytest.raises(TypeError, match="groups"):
            to_dot(y, groups=["a"])  # type: ignore[arg-type]


# -- size -----------------------------------------------------------------------------------------


def chain(n: int) -> Value:
    """x + 1 + 1 + ...: 2 n + 1 nodes in a chain n deep."""
    y = Value(0.0, label="x")
    for _ in range(n):
        y = y + 1.0
    return y


class TestSize:
    def test_max_nodes_collapses_the_rest_into_a_note(self) -> None:
        y = chain(25)  # 51 nodes
        dot = to_dot(y, max_nodes=10)
        assert len(re.findall(r"^\tv\d+ \[", dot, flags=re.M)) == 10
        assert "41 more nodes not drawn (max_nodes=10)" in dot
        assert re.search(r"more -> v\d+_op \[style=dashed", dot)

    def test_max_nodes_keeps_the_nodes_nearest_the_output(self) -> None:
        dot = to_dot(chain(25), max_nodes=3)
        assert "data 25" in dot and "data 24" in dot and '"x:' not in dot

    def test_bad_max_nodes(self) -> None:
        with pytest.raises(ValueError, match="max_nodes"):
            to_dot(chain(2), max_nodes=0)

    def test_hundred_thousand_nodes_without_recursion(self) -> None:
        y = chain(50_000)  # 100,001 nodes, 50,000 deep
        dot = to_dot(y, max_nodes=None, show_grad=False)
        assert len(re.findall(r"^\tv\d+ \[", dot, flags=re.M)) == 100_001
        assert dot.count("->") == 150_000
        tree = text_tree(y, max_lines=20)
        assert tree.splitlines()[-1].startswith("... 99981 more lines")


# -- gradients that are Values -------------------------------------------------------------------


class TestCreateGraph:
    def test_value_gradients_render_with_their_data(self) -> None:
        x = Value(3.0, label="x")
        y = x * x * x
        y.backward(create_graph=True)
        dot = to_dot(y)
        assert "grad* 27" in node_line(dot, "x")  # d x^3/dx = 3 x^2
        assert "create_graph=True" in dot
        assert "grad* 27" in text_tree(y)

    def test_the_gradient_graph_itself_draws(self) -> None:
        x = Value(3.0, label="x")
        y = x * x * x
        y.backward(create_graph=True)
        dx = x.grad
        dot = to_dot(dx)
        assert re.search(r'label="\*"', dot)
        assert "data 27" in dot  # 3 x^2
        y.zero_grad()
        dx.backward()
        assert "x  data 3  grad 18" in text_tree(dx)  # d 3x^2/dx = 6 x


# -- text tree -----------------------------------------------------------------------------------


class TestTextTree:
    def test_tree_of_the_gate_example(self) -> None:
        y, *_ = gate_example()
        assert text_tree(y) == (
            "y = +  data 500  grad 1\n"
            "├── mul1 = *  data 200  grad 1\n"
            "│   ├── x1  data 100  grad 2\n"
            "│   └── x2  data 2  grad 100\n"
            "└── x3  data 300  grad 1"
        )

    def test_shared_nodes_are_shown_once(self) -> None:
        a = Value(2.0, label="a")
        b = a * 3.0
        y = b + b * a
        tree = text_tree(y, show_grad=False)
        assert tree.count("a  data 2") == 1
        assert tree.count("mul1 = *  data 6  [#") == 1
        assert "(#1, shown above)" in tree and "(#2, shown above)" in tree

    def test_ascii_and_value_method(self) -> None:
        y, *_ = gate_example()
        assert "`-- x3" in text_tree(y, ascii=True)
        assert y.tree() == text_tree(y)  # type: ignore[attr-defined]

    def test_kinds_of_leaves(self) -> None:
        w1, w2, x = Value(0.3), Value(-0.2), Value(1.5)  # no labels, no params given
        y = (w1 * x + w2 * 2.0 - 1.0).tanh()
        y.backward()
        tree = text_tree(y)
        # Leaves that take a gradient are inputs (named input1, ...), plain numbers constants.
        assert re.findall(r"── (input\d+)  data", tree) == ["input1", "input2", "input3"]
        assert re.findall(r"── (\S+) \(constant\)$", tree, flags=re.M) == ["2", "1"]
        assert "leaf" not in tree
        marked = text_tree(y, params=[w1, w2])
        assert re.findall(r"── (param\d+) \(parameter\)  data", marked) == ["param1", "param2"]
        assert re.findall(r"── (input\d+)  data", marked) == ["input1"]

    def test_parameters_show_with_their_names(self) -> None:
        loss, model, named = trained_mlp_loss()
        tree = text_tree(loss, params=named, max_lines=None)
        for name, p in named:
            # Printed with the spec .4g, from the parameter's own data and gradient.
            line = f"{name} (parameter)  data {p.data:.4g}  grad {p.grad:.4g}"
            assert tree.count(line) == 1, line
        assert model.parameters()[0].label is None  # the names come from params, not labels
        shown = set(re.findall(r"(\S+) \(parameter\)  data", tree))
        dot = to_dot(loss, params=named)
        drawn = {name for name in re.findall(r'tooltip="([^:"]+): [^"]*\(parameter\)"', dot)}
        assert shown == drawn == {name for name, _ in named}

    def test_params_take_the_forms_to_dot_takes(self) -> None:
        loss, model, named = trained_mlp_loss()
        by_pairs = text_tree(loss, params=named)
        assert text_tree(loss, params=dict(named)) == by_pairs
        assert loss.tree(params=named) == by_pairs  # type: ignore[attr-defined]
        unnamed = text_tree(loss, params=model.parameters(), max_lines=None)
        assert len(set(re.findall(r"── (param\d+) \(parameter\)  data", unnamed))) == len(named)
        with pytest.raises(TypeError, match="params"):
            text_tree(loss, params=[1.0])

    def test_line_limit(self) -> None:
        tree = text_tree(chain(10), max_lines=5)
        assert len(tree.splitlines()) == 6
        assert tree.endswith("16 more lines (text_tree(..., max_lines=None) shows all)")


# -- rendering through the `render` extra ---------------------------------------------------------


def renderer_or_skip() -> str:
    require("graphviz", "render")
    found = viz.find_renderer()
    if found is None:
        if IN_CI:
            pytest.fail("no renderer: the render extra (graphviz-pure) must be installed in CI")
        pytest.skip("needs a renderer (pip install 'scalar-autograd[render]')")
    return found


class TestRendering:
    def test_svg_is_xml_with_one_node_per_value(self) -> None:
        renderer_or_skip()
        y, *_ = gate_example()
        svg = viz.render(y, "svg").decode("utf-8")
        root = ET.fromstring(svg)
        groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g")
                  if g.get("class") == "node"]
        values = [g for g in groups if re.fullmatch(r"v\d+", g.get("id", ""))]
        ops = [g for g in groups if re.fullmatch(r"v\d+_op", g.get("id", ""))]
        assert len(values) == len(autograd.topological_order(y)) == 5
        assert len(ops) == 2

    def test_png(self) -> None:
        renderer_or_skip()
        assert viz.render(chain(2), "png").startswith(b"\x89PNG\r\n\x1a\n")

    def test_graphviz_pure_is_used_without_dot(self, monkeypatch: pytest.MonkeyPatch) -> None:
        require("graphviz", "render")
        from graphviz.backend import dot_command

        real_which = renderer.shutil.which
        monkeypatch.setattr(renderer.shutil, "which",
                            lambda name: None if name == "dot" else real_which(name))
        monkeypatch.setattr(dot_command, "DOT_BINARY", dot_command.DOT_BINARY)
        found = renderer.find_renderer()
        if found is None:
            if IN_CI:
                pytest.fail("graphviz-pure (the render extra) is not installed")
            pytest.skip("needs graphviz-pure (pip install 'scalar-autograd[render]')")
        assert Path(found).name.startswith("graphviz-pure")
        assert Path(str(dot_command.DOT_BINARY)) == Path(found)
        svg = viz.draw(chain(1)).pipe(format="svg", quiet=True)
        assert b"graphviz-pure" in svg and b"<svg" in svg

    def test_draw_returns_a_digraph_of_the_same_text(self) -> None:
        graphviz = require("graphviz", "render")
        y, *_ = gate_example()
        g = viz.draw(y, rankdir="TB")
        assert isinstance(g, graphviz.Digraph)
        assert g.source == to_dot(y, rankdir="TB")

    def test_save_by_extension(self, tmp_path: Path) -> None:
        renderer_or_skip()
        y, *_ = gate_example()
        assert viz.save(y, tmp_path / "g.svg").read_bytes().lstrip().startswith(b"<?xml")
        assert viz.save(y, tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png", "g.svg"]


class TestWithoutRenderer:
    def test_error_says_how_and_dot_is_saved(self, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(renderer, "find_renderer", lambda: None)
        y, *_ = gate_example()
        with pytest.raises(RendererNotFound, match=r"scalar-autograd\[render\]") as caught:
            viz.save(y, tmp_path / "g.svg")
        assert caught.value.dot == to_dot(y)
        assert (tmp_path / "g.dot").read_text() == to_dot(y)
        assert not (tmp_path / "g.svg").exists()
        assert str(tmp_path / "g.dot") in str(caught.value)
        with pytest.raises(ImportError):
            viz.render(y)

    def test_dot_and_html_need_no_renderer(self, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(renderer, "find_renderer", lambda: None)
        y, *_ = gate_example()
        assert viz.save(y, tmp_path / "g.gv").read_text() == to_dot(y)
        (tmp_path / "plain.txt").write_text("")  # the mode a new file gets from open()
        assert (tmp_path / "g.gv").stat().st_mode == (tmp_path / "plain.txt").stat().st_mode
        assert "<!DOCTYPE html>" in viz.save(y, tmp_path / "g.html").read_text()
        with pytest.raises(ValueError, match="unknown diagram format"):
            viz.save(y, tmp_path / "g.jpeg")

    def test_rich_display_falls_back_to_the_tree(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(renderer, "find_renderer", lambda: None)
        y, *_ = gate_example()
        bundle = y._repr_mimebundle_()  # type: ignore[attr-defined]
        assert bundle == {"text/plain": text_tree(y, max_lines=60)}


def test_rich_display_is_the_diagram() -> None:
    renderer_or_skip()
    y, *_ = gate_example()
    bundle = y._repr_mimebundle_()  # type: ignore[attr-defined]
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    ET.fromstring(bundle["image/svg+xml"])


# -- the maths as written, and large graphs collapsed ----------------------------------------------


class TestAsWritten:
    def test_sub_and_neg_are_one_node_each_and_constants_carry_nothing(self) -> None:
        x, y = Value(3.0, label="x"), Value(1.0, label="y")
        z = -x - y * 2.0
        z.backward()
        dot = to_dot(z)
        labels = re.findall(r'_op \[id="v\d+_op" [^]]* label="([^"]+)"\]', dot)
        assert sorted(labels) == ["*", "-", "neg"]  # no `+` and `* -1` pair, no -1 constant
        (constant,) = [ln for ln in dot.splitlines() if "(takes no gradient)" in ln]
        assert "grad" not in constant.split("label=")[1]
        assert "neg1 = neg" in text_tree(z) and "2 (constant)" in text_tree(z)

    def test_a_neuron_is_one_dot_node_with_its_bias(self) -> None:
        w, b = [Value(0.5), Value(-1.0)], Value(0.25)
        d = autograd.dot(w, [2.0, 3.0], bias=b)
        d.backward()
        dot = to_dot(d, params={"w.0": w[0], "w.1": w[1], "b": b})
        assert re.findall(r'label="(w·x[^"]*)"', dot) == ["w·x + b"]
        assert "* 1" not in text_tree(d) and "dot1 = w·x + b" in text_tree(d)

    def test_generated_names_say_the_op(self) -> None:
        x = Value(0.5, label="x")
        y = (x * 2.0).tanh() + x.exp()
        names = re.findall(r"(\w+) = ", text_tree(y))
        assert names == ["add1", "tanh1", "mul1", "exp1"]
        taken = Value(1.0, label="mul1")  # a label in use is never generated again
        assert "mul2 = *" in text_tree(taken * x)


def mlp_loss(sizes: list[int], points: int) -> tuple[Value, list[tuple[str, Value]]]:
    model = autograd.nn.MLP(2, sizes, seed=0)
    xs = [[0.5, -1.0], [1.0, 0.2], [-0.3, 0.8], [0.0, 0.4]][:points]
    loss = autograd.sum_values([(model(x) - 1.0) ** 2 for x in xs])
    loss.backward()
    return loss, model.named_parameters()


def dot_bias_mlp_loss(sizes: list[int], points: int) -> tuple[Value, list[tuple[str, Value]]]:
    """The same kind of network written with dot(w, x, bias=b) on plain-number inputs: every
    input number becomes a constant of its own in each neuron."""
    rng = random.Random(0)
    named: list[tuple[str, Value]] = []
    layers = []
    for li, (n_in, n_out) in enumerate(zip([2, *sizes], sizes)):
        neurons = []
        for ni in range(n_out):
            w = [Value(rng.uniform(-1, 1)) for _ in range(n_in)]
            b = Value(0.0)
            named += [(f"layers.{li}.neurons.{ni}.w.{k}", wk) for k, wk in enumerate(w)]
            named.append((f"layers.{li}.neurons.{ni}.b", b))
            neurons.append((w, b))
        layers.append(neurons)

    def forward(x: list[Any]) -> Any:
        for li, neurons in enumerate(layers):
            out = [autograd.dot(w, x, bias=b) for w, b in neurons]
            x = [o.tanh() for o in out] if li < len(layers) - 1 else out
        return x[0]

    xs = [[0.5, -1.0], [1.0, 0.2], [-0.3, 0.8], [0.0, 0.4]][:points]
    loss = autograd.sum_values([(forward(x) - 1.0) ** 2 for x in xs])
    loss.backward()
    return loss, named


class TestCollapse:
    def test_constants_of_one_neuron_collapse_with_it(self) -> None:
        loss, named = dot_bias_mlp_loss([16, 16, 1], 4)
        dot = to_dot(loss, params=named)
        values = re.findall(r"^\tv\d+ \[", dot, flags=re.M)
        assert len(values) < 40  # the loss nodes and its targets; the inputs are in layers.0
        assert dot.count('[id="g') == 3
        view = viz.view_of(loss, params=named, groups=True, max_nodes=None)
        constants = [n for n in view.nodes if view.kind(n) == "constant"]
        inside = [n for n in constants if view.group_of(n)]
        assert len(inside) == 4 * 16 * 2  # each input number, in each first-layer neuron
        assert {view.group_of(n)[0] for n in inside} == {"layers.0"}
        outside = [n.data for n in constants if not view.group_of(n)]
        assert sorted(outside) == [1.0] * 4  # the targets, compared with the output

    def test_a_large_network_draws_its_layers_as_summary_boxes(self) -> None:
        loss, named = mlp_loss([16, 16, 1], 4)
        assert len(autograd.topological_order(loss)) > viz.COLLAPSE_ABOVE
        dot = to_dot(loss, params=named)
        boxes = re.findall(r'^\t(g\d+) \[id="g\d+" shape=plaintext tooltip="([^"]+)"', dot, re.M)
        assert [tip.split(":")[0] for _, tip in boxes] == ["layers.0", "layers.1", "layers.2"]
        assert "16 neurons · 272 parameters" in dot  # what layers.1 holds
        assert len(re.findall(r"^\tv\d+ \[", dot, flags=re.M)) < 60
        assert "collapse=False draws every node" in dot
        full = to_dot(loss, params=named, collapse=False)
        assert not re.search(r'^\tg\d+ \[', full, flags=re.M)
        assert full.count("subgraph cluster_") == 3 + 16 + 16 + 1  # layers and neurons

    def test_small_graphs_are_drawn_whole(self) -> None:
        loss, named = mlp_loss([3, 1], 1)
        dot = to_dot(loss, params=named)
        assert "subgraph" not in dot and not re.search(r'^\tg\d+ \[', dot, flags=re.M)
        assert to_dot(loss, params=named, collapse=True).count('[id="g') == 2

    def test_the_collapsed_network_renders_small(self, tmp_path: Path) -> None:
        renderer_or_skip()
        loss, named = mlp_loss([16, 16, 1], 4)
        png = viz.save(loss, tmp_path / "mlp.png", params=named).read_bytes()
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert width < 3000 and height < 1500, (width, height)

    def test_bad_options_are_named(self) -> None:
        y, *_ = gate_example()
        with pytest.raises(TypeError, match="collapse"):
            to_dot(y, collapse="yes")
        with pytest.raises(TypeError, match="unknown diagram option 'colour'"):
            viz.save(y, "never.svg", colour=True)
