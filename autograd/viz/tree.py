"""The graph as an indented text tree, output first, for terminals and doctests.

>>> from autograd import Value
>>> x = Value(2.0, label="x"); y = x * x; y.backward()
>>> print(text_tree(y))
mul1 = *  data 4  grad 1
├── x  data 2  grad 4  [#1]
└── x  (#1, shown above)
"""

from __future__ import annotations

from autograd.engine import Value, topological_order
from autograd.viz.view import (
    GraphView,
    NumberFormat,
    ParamsArg,
    grad_of,
    number_formatter,
    op_label,
    parameters,
)

__all__ = ["text_tree"]


def text_tree(root: Value, *, number_format: NumberFormat = ".4g", show_grad: bool = True,
              max_lines: int | None = 500, ascii: bool = False, params: ParamsArg = None) -> str:
    """The graph as an indented tree, output first; a node reached twice is shown once.

    Later meetings of a shared node print a reference to the first. Also `v.tree()`. Nodes
    read as in every diagram: an op's result as `NAME = OP` (its label, or the op and a short
    index such as `mul1`), an input by its label, a parameter (given in `params`, e.g.
    `model.named_parameters()`) as `NAME (parameter)`, and a constant (a plain number in the
    expression, which takes no gradient) as `NUMBER (constant)`.

    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b"); y = (a * b).tanh(); y.label = "y"
    >>> print(text_tree(y, number_format=".3f", show_grad=False))
    y = tanh  data -1.000
    └── mul1 = *  data -6.000
        ├── a  data 2.000
        └── b  data -3.000
    >>> w = Value(0.5); z = w * a + 1; z.backward()
    >>> print(text_tree(z, params={"w": w}))
    add1 = +  data 2  grad 1
    ├── mul1 = *  data 1  grad 1
    │   ├── w (parameter)  data 0.5  grad 2
    │   └── a  data 2  grad 0.5
    └── 1 (constant)
    """
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value, got {type(root).__name__}")
    fmt = number_formatter(number_format)
    members, names = parameters(params)
    order = topological_order(root)
    view = GraphView(root, order, {node: i for i, node in enumerate(order)}, 0, [], names,
                     members)
    tee, elbow, pipe, gap = ("|-- ", "`-- ", "|   ", "    ") if ascii else (
        "├── ", "└── ", "│   ", "    ")
    uses: dict[Value, int] = {}
    for node in order:
        for parent in node.parents:
            uses[parent] = uses.get(parent, 0) + 1
    tags: dict[Value, int] = {}
    lines: list[str] = []
    skipped = 0
    stack: list[tuple[Value, str, str]] = [(root, "", "")]
    while stack:
        node, lead, child_lead = stack.pop()
        full = max_lines is not None and len(lines) >= max_lines
        kind = view.kind(node)
        if node.op is not None:
            head = f"{view.name(node)} = {op_label(node)}"
        elif kind == "constant":
            head = f"{fmt(node.data)} (constant)"
        elif kind == "parameter":
            head = f"{view.name(node)} (parameter)"
        else:
            head = view.name(node)
        if node in tags:
            if full:
                skipped += 1
            else:
                lines.append(f"{lead}{head}  (#{tags[node]}, shown above)")
            continue
        if uses.get(node, 0) > 1 and kind != "constant":
            tags[node] = len(tags) + 1
        if full:
            skipped += 1
        else:
            text = f"{lead}{head}"
            if kind != "constant":
                text += f"  data {fmt(node.data)}"
                if show_grad:
                    star = "*" if isinstance(node.grad, Value) else ""
                    text += f"  grad{star} {fmt(grad_of(node))}"
            if node in tags:
                text += f"  [#{tags[node]}]"
            lines.append(text)
        parents = node.parents
        for k in range(len(parents) - 1, -1, -1):
            if full:  # only counting now: no indentation to build
                stack.append((parents[k], "", ""))
                continue
            last = k == len(parents) - 1
            stack.append((parents[k], child_lead + (elbow if last else tee),
                          child_lead + (gap if last else pipe)))
    if skipped:
        lines.append(f"... {skipped} more lines (text_tree(..., max_lines=None) shows all)")
    return "\n".join(lines)
