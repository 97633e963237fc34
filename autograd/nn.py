"""Neural networks on the scalar engine: `Module`, `Neuron`, `Layer`, `MLP`.

Every weight is a leaf `Value`, so a network is trained with the same `backward()` as any
other expression. A neuron computes act(w . x + b) as one `dot` node (the bias rides along
as a weight on a constant input 1) followed by the activation.

>>> model = MLP(2, [3, 1], activation="tanh", seed=0)
>>> model
MLP(2 -> 3 -> 1, activation='tanh', output_activation='identity', parameters=13)
>>> [name for name, _ in model.named_parameters()][:3]
['layers.0.neurons.0.w.0', 'layers.0.neurons.0.w.1', 'layers.0.neurons.0.b']
>>> (out,) = model([0.5, -1.0])
>>> out.backward()
>>> model.layers[1].neurons[0].b.grad
1.0
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autograd.checkpoint import CheckpointError, finite_float, load_checkpoint, save_checkpoint
from autograd.engine import Value, dot, relu, sigmoid, tanh

__all__ = ["ACTIVATIONS", "MLP", "Layer", "Module", "Neuron"]

# Activation name -> function on Values (None: the identity, no node at all).
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": relu,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "identity": None,
}


def _check_activation(name: str, where: str) -> Callable[[Value], Value] | None:
    if name not in ACTIVATIONS:
        raise ValueError(
            f"{where}: unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}"
        )
    return ACTIVATIONS[name]


def _check_size(n: Any, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")
    return n


def initial_weights(
    n_in: int, n_out: int, activation: str, rng: random.Random
) -> list[float]:
    """`n_in` starting weights for one neuron of a layer with `n_out` neurons.

    relu: He normal, std sqrt(2 / n_in), which keeps the variance of activations through
    a relu layer. tanh, sigmoid, identity: Glorot (Xavier) uniform on
    [-sqrt(6 / (n_in + n_out)), +sqrt(6 / (n_in + n_out))], which balances the variance of
    activations going forward and of gradients going back.

    >>> len(initial_weights(4, 2, "relu", random.Random(0)))
    4
    """
    if activation == "relu":
        std = math.sqrt(2.0 / n_in)
        return [rng.gauss(0.0, std) for _ in range(n_in)]
    limit = math.sqrt(6.0 / (n_in + n_out))
    return [rng.uniform(-limit, limit) for _ in range(n_in)]


# ----------------------------------------------------------------------------------------------
# Module
# ----------------------------------------------------------------------------------------------


class Module:
    """Base class: finds its parameters in its attributes (Values, Modules, and lists,
    tuples and dicts of them, nested to any depth).

    Parameter names are attribute paths joined by dots, with list positions as numbers,
    e.g. ``layers.0.neurons.3.w.5``; the order is the order the attributes were set.

    >>> class Scale(Module):
    ...     def __init__(self):
    ...         self.k = Value(2.0)
    ...     def forward(self, x):
    ...         return self.k * x
    >>> m = Scale(); m(3.0).data, m.state_dict()
    (6.0, {'k': 2.0})
    """

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses define it and are called as `module(...)`."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """(name, Value) for every parameter in a stable order (depth first, no recursion).

        Attributes are searched through Modules and through lists, tuples and dicts nested
        to any depth. A Value reachable by two paths is listed once, under the first name,
        so optimizers update it once. Names need str or int dict keys.

        >>> class Tied(Module):
        ...     def __init__(self):
        ...         self.a = Value(1.0); self.b = self.a; self.deep = [[Value(2.0)]]
        >>> [name for name, _ in Tied().named_parameters()]
        ['a', 'deep.0.0']
        """
        found: list[tuple[str, Value]] = []
        seen: set[int] = set()  # ids of Values, Modules and containers already walked
        # (name, item); name None: reached through a dict key that cannot be a name
        stack: list[tuple[str | None, Any]] = [("", self)]
        while stack:
            name, item = stack.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, Value):
                if name is None:
                    raise TypeError(f"{type(self).__name__}: a parameter sits under a dict key "
                                    f"that is not a str or int; it cannot be named")
                found.append((name, item))
                continue
            prefix = "" if name == "" else (None if name is None else name + ".")
            if isinstance(item, Module):
                if prefix is None:
                    raise TypeError(f"{type(self).__name__}: a Module sits under a dict key "
                                    f"that is not a str or int; it cannot be named")
                children: list[tuple[Any, Any]] = [
                    (key, child) for key, child in vars(item).items() if not key.startswith("_")]
            elif isinstance(item, dict):
                children = list(item.items())
            else:  # a list or tuple
                children = list(enumerate(item))
            pending: list[tuple[str | None, Any]] = []
            for key, child in children:
                if isinstance(child, (Value, Module, list, tuple, dict)):
                    nameable = prefix is not None and isinstance(key, (str, int)) \
                        and not isinstance(key, bool)
                    pending.append((f"{prefix}{key}" if nameable else None, child))
            stack.extend(reversed(pending))
        return found

    def parameters(self) -> list[Value]:
        """Every parameter Value, in the order of `named_parameters()`."""
        return [value for _, value in self.named_parameters()]

    @property
    def n_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return len(self.named_parameters())

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0.0."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """{name: value} of every parameter (plain floats, a copy)."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any], *, source: str = "state_dict") -> None:
        """Set every parameter from `state`; names must match exactly and values be finite.

        Nothing is changed unless the whole state is valid. Errors name the entry.

        >>> m = MLP(1, [1], seed=0); m.load_state_dict({"layers.0.neurons.0.w.0": 2.0})
        Traceback (most recent call last):
        ...
        ValueError: state_dict: missing parameter 'layers.0.neurons.0.b'
        """
        named = self.named_parameters()
        names = {name for name, _ in named}
        for name, _ in named:
            if name not in state:
                raise ValueError(f"{source}: missing parameter {name!r}")
        for name in state:
            if name not in names:
                raise ValueError(f"{source}: unexpected parameter {name!r}")
        values = []
        for name, _ in named:
            value = state[name]
            if isinstance(value, Value):
                value = value.data
            number = finite_float(value)
            if number is None:
                raise ValueError(f"{source}: parameter {name!r} must be a finite number, "
                                 f"got {value!r:.60}")
            values.append(number)
        for (_, p), value in zip(named, values):
            p.data = value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(parameters={self.n_parameters})"


def _as_values(x: Sequence[Any]) -> list[Value]:
    # Inputs become leaves once, shared by every neuron that reads them.
    return [v if isinstance(v, Value) else Value(v) for v in x]


# ----------------------------------------------------------------------------------------------
# Neuron, Layer, MLP
# ----------------------------------------------------------------------------------------------


class Neuron(Module):
    """act(w . x + b) for `n_in` inputs; weights from `initial_weights`, bias 0.

    >>> n = Neuron(2, activation="identity", seed=1)
    >>> n.w[0].data, n.w[1].data = 2.0, -1.0
    >>> n([3.0, 4.0]).data
    2.0
    """

    def __init__(
        self,
        n_in: int,
        activation: str = "relu",
        *,
        n_out: int = 1,
        seed: int | None = 0,
        rng: random.Random | None = None,
    ) -> None:
        _check_size(n_in, "Neuron: n_in")
        self._act = _check_activation(activation, "Neuron")
        self.activation = activation
        rng = rng if rng is not None else random.Random(seed)
        self.w = [Value(x) for x in initial_weights(n_in, n_out, activation, rng)]
        self.b = Value(0.0)

    @property
    def n_in(self) -> int:
        """The number of inputs."""
        return len(self.w)

    def forward(self, x: Sequence[Any]) -> Value:
        """act(w . x + b) as a `dot` node (plus one activation node)."""
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        return self._fire([*_as_values(x), Value(1.0)])

    def _fire(self, x_and_one: list[Value]) -> Value:
        z = dot([*self.w, self.b], x_and_one)  # z = w . x + b * 1
        return z if self._act is None else self._act(z)

    def __repr__(self) -> str:
        return f"Neuron({self.n_in}, activation={self.activation!r})"


class Layer(Module):
    """`n_out` neurons reading the same `n_in` inputs.

    >>> layer = Layer(3, 2, activation="relu", seed=0)
    >>> len(layer([1.0, 2.0, 3.0])), layer.n_parameters
    (2, 8)
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str = "relu",
        *,
        seed: int | None = 0,
        rng: random.Random | None = None,
    ) -> None:
        _check_size(n_in, "Layer: n_in")
        _check_size(n_out, "Layer: n_out")
        _check_activation(activation, "Layer")
        self.activation = activation
        rng = rng if rng is not None else random.Random(seed)
        self.neurons = [Neuron(n_in, activation, n_out=n_out, rng=rng) for _ in range(n_out)]

    @property
    def n_in(self) -> int:
        """The number of inputs."""
        return self.neurons[0].n_in

    @property
    def n_out(self) -> int:
        """The number of outputs (neurons)."""
        return len(self.neurons)

    def forward(self, x: Sequence[Any]) -> list[Value]:
        """Each neuron's output, in order."""
        if len(x) != self.n_in:
            raise ValueError(f"Layer: expected {self.n_in} inputs, got {len(x)}")
        x_and_one = [*_as_values(x), Value(1.0)]
        return [neuron._fire(x_and_one) for neuron in self.neurons]

    def __repr__(self) -> str:
        return f"Layer({self.n_in}, {self.n_out}, activation={self.activation!r})"


class _LoadMethod:
    """`MLP.load(path)` builds a new model; `model.load(path)` fills this one in."""

    def __get__(self, instance: MLP | None, owner: type[MLP]) -> Callable[..., MLP]:
        if instance is None:

            def load(path: str | os.PathLike[str]) -> MLP:
                """A new MLP built from a model file written by `save` (checked field by field)."""
                return owner._from_file(path)
        else:

            def load(path: str | os.PathLike[str]) -> MLP:
                """Set this model's weights from a model file of the same architecture."""
                return instance._load_into(path)

        return load


class MLP(Module):
    """A multilayer perceptron: `MLP(n_in, [hidden..., n_out])`.

    Hidden layers use `activation`, the last layer `output_activation` (identity by
    default, giving logits for the losses). Weights come from `random.Random(seed)`:
    the same seed gives the same network, and the global random state is left alone.
    Calling the model on one example (a sequence of numbers or Values) returns the list
    of its outputs.

    >>> model = MLP(3, [4, 4, 1], seed=0)
    >>> model.n_parameters, len(model([1.0, 2.0, 3.0]))
    (41, 1)
    >>> MLP(3, [4, 4, 1], seed=0).state_dict() == model.state_dict()
    True
    """

    load = _LoadMethod()

    def __init__(
        self,
        n_in: int,
        sizes: Sequence[int],
        activation: str = "relu",
        output_activation: str = "identity",
        *,
        seed: int | None = 0,
    ) -> None:
        _check_size(n_in, "MLP: n_in")
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
            raise ValueError(f"MLP: sizes must be a non-empty list of layer sizes, got {sizes!r}")
        for i, size in enumerate(sizes):
            _check_size(size, f"MLP: sizes[{i}]")
        _check_activation(activation, "MLP")
        _check_activation(output_activation, "MLP (output_activation)")
        self.n_in = n_in
        self.sizes = tuple(sizes)
        self.activation = activation
        self.output_activation = output_activation
        self.seed = seed
        rng = random.Random(seed)
        fan_ins = [n_in, *sizes[:-1]]
        last = len(sizes) - 1
        self.layers = [
            Layer(fan_in, size, output_activation if i == last else activation, rng=rng)
            for i, (fan_in, size) in enumerate(zip(fan_ins, sizes))
        ]

    def forward(self, x: Sequence[Any]) -> list[Value]:
        """The outputs of the last layer for one example."""
        if len(x) != self.n_in:
            raise ValueError(f"MLP: expected {self.n_in} inputs, got {len(x)}")
        out: Sequence[Any] = x
        for layer in self.layers:
            out = layer(out)
        return list(out)

    @property
    def architecture(self) -> dict[str, Any]:
        """What `MLP(...)` needs to rebuild this network's shape (stored in model files)."""
        return {
            "type": "MLP",
            "n_in": self.n_in,
            "sizes": list(self.sizes),
            "activation": self.activation,
            "output_activation": self.output_activation,
        }

    def __repr__(self) -> str:
        shape = " -> ".join(str(n) for n in (self.n_in, *self.sizes))
        return (f"MLP({shape}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}, "
                f"parameters={self.n_parameters})")

    # -- files -----------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str], metadata: Mapping[str, Any] | None = None) -> None:
        """Write the architecture and every weight to a JSON file, atomically.

        Floats are written exactly (`repr`), so `MLP.load(path)` gives the same bits back.

        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
        >>> model = MLP(2, [3, 1], seed=4); model.save(path)
        >>> MLP.load(path).state_dict() == model.state_dict()
        True
        """
        save_checkpoint(path, self.architecture, self.state_dict(), metadata)

    @classmethod
    def _from_file(cls, path: str | os.PathLike[str]) -> MLP:
        checkpoint = load_checkpoint(path)
        model = cls._from_architecture(checkpoint.architecture, path)
        model._set_state(checkpoint.parameters, path)
        return model

    def _load_into(self, path: str | os.PathLike[str]) -> MLP:
        checkpoint = load_checkpoint(path)
        _check_architecture(checkpoint.architecture, path)
        for key, value in self.architecture.items():
            if checkpoint.architecture[key] != value:
                raise CheckpointError(
                    path, f"architecture.{key}",
                    f"the file has {checkpoint.architecture[key]!r}, this model has {value!r}")
        self._set_state(checkpoint.parameters, path)
        return self

    def _set_state(self, parameters: Mapping[str, float], path: str | os.PathLike[str]) -> None:
        names = [name for name, _ in self.named_parameters()]
        for name in names:
            if name not in parameters:
                raise CheckpointError(path, f"parameters.{name}", "missing")
        for name in parameters:
            if name not in set(names):
                raise CheckpointError(path, f"parameters.{name}",
                                      "unexpected: not a parameter of this architecture")
        self.load_state_dict(parameters, source=os.fspath(path))

    @classmethod
    def _from_architecture(cls, architecture: Mapping[str, Any],
                           path: str | os.PathLike[str]) -> MLP:
        _check_architecture(architecture, path)
        return cls(architecture["n_in"], architecture["sizes"], architecture["activation"],
                   architecture["output_activation"], seed=None)


def _check_architecture(architecture: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    def fail(key: str, problem: str) -> CheckpointError:
        return CheckpointError(path, f"architecture.{key}", problem)

    expected = ("type", "n_in", "sizes", "activation", "output_activation")
    for key in expected:
        if key not in architecture:
            raise fail(key, "missing")
    for key in architecture:
        if key not in expected:
            raise fail(key, "unexpected field")
    if architecture["type"] != "MLP":
        raise fail("type", f"expected 'MLP', got {architecture['type']!r}")
    n_in = architecture["n_in"]
    if isinstance(n_in, bool) or not isinstance(n_in, int) or n_in < 1:
        raise fail("n_in", f"expected a positive integer, got {n_in!r}")
    sizes = architecture["sizes"]
    if not isinstance(sizes, list) or not sizes:
        raise fail("sizes", f"expected a non-empty list of layer sizes, got {sizes!r}")
    for i, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise fail(f"sizes.{i}", f"expected a positive integer, got {size!r}")
    for key in ("activation", "output_activation"):
        if architecture[key] not in ACTIVATIONS:
            raise fail(key, f"unknown activation {architecture[key]!r}; expected one of "
                            f"{', '.join(ACTIVATIONS)}")

