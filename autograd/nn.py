"""Neural networks on the scalar engine: `Module`, `Neuron`, `Layer`, `MLP`.

Every weight is a leaf `Value`, so a network is trained with the same `backward()` as any
other expression. A neuron computes act(w . x + b) as one `dot` node (the bias rides along
as a weight on a constant input 1) followed by the activation.

micrograd's forms work as they are: `Neuron(n_in, nonlin=True)`, `Layer(n_in, n_out,
nonlin=False)`, `MLP(n_in, [16, 16, 1])`, `parameters()`, `zero_grad()`; a model with one
output returns that Value, several outputs a list (`model.outputs(x)` is always a list).
Without `seed=`, weights are fresh draws from the library's generator (`autograd.rng`).

>>> model = MLP(2, [3, 1], activation="tanh", seed=0)
>>> model
MLP(2 -> 3 -> 1, activation='tanh', output_activation='identity', parameters=13)
>>> [name for name, _ in model.named_parameters()][:3]
['layers.0.neurons.0.w.0', 'layers.0.neurons.0.w.1', 'layers.0.neurons.0.b']
>>> out = model([0.5, -1.0])
>>> out.backward()
>>> model.layers[1].neurons[0].b.grad
1.0
"""

from __future__ import annotations

import importlib
import itertools
import math
import os
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from autograd.files import CheckpointError, finite_float, load_checkpoint, save_checkpoint
from autograd.engine import OPS, Value, dot, relu, sigmoid, tanh
from autograd.rng import generator_for

__all__ = [
    "ACTIVATIONS",
    "MAX_PARAMETERS",
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "check_architecture",
    "check_parameter_count",
    "parameter_count",
]

# Activation name -> function on Values (None: the identity, no node at all).
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": relu,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "identity": None,
}

# The largest MLP built or loaded unless the caller passes a larger `max_parameters=` (None:
# no limit). A parameter costs about 110 bytes in the model (a Value and its float) and a few
# hundred more while a model file is read or written (measured on CPython 3.11), so the
# default keeps a save or a load around 1 GB; a file or an option that asks for more is
# refused before anything is built.
MAX_PARAMETERS = 2_000_000


def _called_as_method(act: Callable[[Value], Value] | None) -> Callable[[Value], Value] | None:
    """The activation as Value's method when the op has one (`Value.relu` for `relu`): it
    builds the same node with one call, where calling the op object takes two.

    >>> _called_as_method(relu) is Value.relu, _called_as_method(None)
    (True, None)
    """
    name = getattr(act, "name", None)
    if name is not None and OPS.get(name) is act:
        return getattr(Value, name, act)  # type: ignore[no-any-return]
    return act


def _check_activation(name: str, where: str) -> Callable[[Value], Value] | None:
    if name not in ACTIVATIONS:
        raise ValueError(
            f"{where}: unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}"
        )
    return ACTIVATIONS[name]


def _activation_name(activation: str | bool, nonlin: bool | None, where: str) -> str:
    """The activation's name; micrograd's nonlin=True/False reads as 'relu'/'identity'."""
    if isinstance(activation, bool):  # micrograd's Neuron(n_in, False), positionally
        activation = "relu" if activation else "identity"
    if nonlin is not None:
        if not isinstance(nonlin, bool):
            raise TypeError(f"{where}: nonlin must be True or False, got {nonlin!r:.60}")
        from_nonlin = "relu" if nonlin else "identity"
        if activation not in ("relu", from_nonlin):  # 'relu' is the default: nonlin decides
            raise ValueError(f"{where}: nonlin={nonlin} contradicts activation={activation!r}")
        activation = from_nonlin
    _check_activation(activation, where)
    return activation


def _check_size(n: Any, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r:.60}")
    return n


def parameter_count(n_in: int, sizes: Iterable[int]) -> int:
    """How many parameters `MLP(n_in, sizes)` has: (fan-in + 1) * width, summed over layers.

    Pure arithmetic on the sizes (no weights are made), so it is safe on any numbers a
    file or an option asks for.

    >>> parameter_count(2, [16, 16, 1])
    337
    >>> parameter_count(100_000, [100_000])
    10000100000
    """
    total = 0
    fan_in = n_in
    for size in sizes:
        total += (fan_in + 1) * size
        fan_in = size
    return total


def check_parameter_count(
    n_in: int, sizes: Iterable[int], limit: int | None = MAX_PARAMETERS, *, where: str = "MLP"
) -> int:
    """The parameter count of `MLP(n_in, sizes)`, or a ValueError if it exceeds `limit`.

    `limit` is `MAX_PARAMETERS` unless given; None means no limit.

    >>> check_parameter_count(2, [16, 16, 1])
    337
    >>> check_parameter_count(1000, [1000, 10], limit=100_000)
    Traceback (most recent call last):
    ...
    ValueError: MLP: 1000 -> 1000 -> 10 has 1,011,010 parameters, over the limit of 100,000 ...
    """
    sizes = list(sizes)
    count = parameter_count(n_in, sizes)
    if limit is not None and count > limit:
        shape = " -> ".join(_size_text(n) for n in (n_in, *sizes))
        if len(shape) > 80:
            shape = f"{_size_text(n_in)} -> ... ({len(sizes)} layers)"
        head = f"{where}: " if where else ""
        raise ValueError(f"{head}{shape} has {_size_text(count)} parameters, over the limit of "
                         f"{limit:,} (autograd.nn.MAX_PARAMETERS; pass a larger "
                         f"max_parameters= to allow more)")
    return count


def _size_text(n: int) -> str:
    # Python refuses to print integers of thousands of digits; a file may hold one.
    if n < 10**30:
        return f"{n:,}" if n >= 10**4 else str(n)
    return f"about 10^{int(n.bit_length() * math.log10(2))}"


class _NoDraws(random.Random):
    """Stands in for a generator when the weights are set right after (a load): all zeros."""

    def gauss(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        return 0.0

    def uniform(self, a: float, b: float) -> float:
        return 0.0


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
    if isinstance(rng, _NoDraws):
        return [0.0] * n_in
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
        return list(zip(*self._walk()))

    def _walk(self) -> tuple[list[str], list[Value]]:
        """Parameter names and Values as two parallel lists (the work of named_parameters).

        Time and memory grow linearly with the number of parameters: a list of Values (a
        neuron's weights) is taken in one pass, and no per-parameter tuples are made.
        """
        names: list[str | None] = []
        values: list[Value] = []
        seen: set[int] = set()  # ids of the Modules and containers already walked
        # (name, item); name None: reached through a dict key that cannot be a name
        stack: list[tuple[str | None, Any]] = [("", self)]
        while stack:
            name, item = stack.pop()
            if isinstance(item, Value):
                names.append(name)
                values.append(item)
                continue
            if id(item) in seen:
                continue
            seen.add(id(item))
            prefix = "" if name == "" else (None if name is None else name + ".")
            if isinstance(item, Module):
                if prefix is None:
                    raise TypeError(f"{type(self).__name__}: a Module sits under a dict key "
                                    f"that is not a str or int; it cannot be named")
                children: list[tuple[Any, Any]] = [
                    (key, child) for key, child in vars(item).items() if not key.startswith("_")]
            elif isinstance(item, dict):
                children = list(item.items())
            elif all(map(isinstance, item, itertools.repeat(Value))):
                # a list of Values (a neuron's weights): taken whole
                names.extend([f"{prefix}{i}" for i in range(len(item))] if prefix is not None
                             else [None] * len(item))
                values.extend(item)
                continue
            else:  # a list or tuple of other things
                children = list(enumerate(item))
            pending: list[tuple[str | None, Any]] = []
            for key, child in children:
                if isinstance(child, (Value, Module, list, tuple, dict)):
                    nameable = prefix is not None and isinstance(key, (str, int)) \
                        and not isinstance(key, bool)
                    pending.append((f"{prefix}{key}" if nameable else None, child))
            stack.extend(reversed(pending))
        # Values hash by identity (a set of them is quicker to build than a set of their ids)
        distinct = set(values) if Value.__hash__ is object.__hash__ else set(map(id, values))
        if len(distinct) != len(values):  # a Value met twice: keep the first
            first: set[int] = set()
            kept = [i for i, v in enumerate(values) if not (id(v) in first or first.add(id(v)))]
            names = [names[i] for i in kept]
            values = [values[i] for i in kept]
        if None in names:
            raise TypeError(f"{type(self).__name__}: a parameter sits under a dict key that "
                            f"is not a str or int; it cannot be named")
        return names, values  # type: ignore[return-value]  # no None left

    def parameters(self) -> list[Value]:
        """Every parameter Value, in the order of `named_parameters()`."""
        return self._walk()[1]

    @property
    def n_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return len(self._walk()[1])

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0.0."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """{name: value} of every parameter (plain floats, a copy).

        >>> MLP(1, [1], seed=0).state_dict().keys()
        dict_keys(['layers.0.neurons.0.w.0', 'layers.0.neurons.0.b'])
        """
        names, values = self._walk()
        return dict(zip(names, [v.data for v in values]))

    def load_state_dict(self, state: Mapping[str, Any], *, source: str = "state_dict") -> None:
        """Set every parameter from `state`; names must match exactly and values be finite.

        Nothing is changed unless the whole state is valid. Errors name the entry. Values may
        be numbers or Values; the time taken grows linearly with the number of parameters.

        >>> m = MLP(1, [1], seed=0); m.load_state_dict({"layers.0.neurons.0.w.0": 2.0})
        Traceback (most recent call last):
        ...
        ValueError: state_dict: missing parameter 'layers.0.neurons.0.b'
        """

        def missing(name: str) -> ValueError:
            return ValueError(f"{source}: missing parameter {name!r}")

        def unexpected(name: str) -> ValueError:
            return ValueError(f"{source}: unexpected parameter {name!r:.80}")

        self._load_checked(state, source, missing, unexpected)

    def _load_checked(self, state: Mapping[str, Any], source: str,
                      missing: Callable[[str], Exception],
                      unexpected: Callable[[str], Exception]) -> None:
        """Check that `state` has exactly this module's names and finite numbers, then set
        every parameter; nothing changes if anything is wrong."""
        names, params = self._walk()
        try:
            values = [state[name] for name in names]
        except KeyError:
            raise missing(next(name for name in names if name not in state)) from None
        if len(state) != len(names):  # every name is there, so some entry is extra
            known = set(names)
            raise unexpected(next(name for name in state if name not in known))
        # Plain finite floats are checked in one sweep; anything else item by item.
        if set(map(type, values)) != {float} or not all(map(math.isfinite, values)):
            for i, value in enumerate(values):
                number = finite_float(value.data if isinstance(value, Value) else value)
                if number is None:
                    raise ValueError(f"{source}: parameter {names[i]!r} must be a finite "
                                     f"number, got {value!r:.60}")
                values[i] = number
        for p, value in zip(params, values):
            p.data = value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(parameters={self.n_parameters})"



def _inputs(x: Any, n_in: int, where: str) -> list[Value]:
    """One example's inputs as leaves (made once, shared by every neuron that reads them)."""
    items = x
    if x.__class__ is not list and x.__class__ is not tuple:
        if isinstance(x, (Value, str, bytes)) or not isinstance(x, Iterable):
            raise TypeError(f"{where}: expected a list of {n_in} inputs (numbers or Values), "
                            f"got {type(x).__name__} {x!r:.60}")
        items = list(x)
    if len(items) != n_in:
        raise ValueError(f"{where}: expected {n_in} inputs, got {len(items)}")
    return [v if isinstance(v, Value) else Value(v) for v in items]


def _generator(seed: int | None, rng: random.Random | None, where: str) -> random.Random:
    """`rng` if given, else `random.Random(seed)`, else the library's shared generator."""
    if rng is None:
        return generator_for(seed, where)
    if seed is not None:
        raise ValueError(f"{where}: give seed= or rng=, not both")
    if not isinstance(rng, random.Random):
        raise TypeError(f"{where}: rng must be a random.Random, got {type(rng).__name__}")
    return rng


def _one_or_list(outputs: list[Value]) -> Value | list[Value]:
    # micrograd's convention: a single output is the Value itself.
    return outputs[0] if len(outputs) == 1 else outputs


# ----------------------------------------------------------------------------------------------
# Neuron, Layer, MLP
# ----------------------------------------------------------------------------------------------


class Neuron(Module):
    """act(w . x + b) for `n_in` inputs; weights from `initial_weights`, bias 0.

    `activation` is a name from `ACTIVATIONS` (relu by default); micrograd's
    `nonlin=False` (or a bool in its place) means the identity. Weights are drawn from
    `random.Random(seed)`, from `rng` if given, else from the library's generator.

    >>> n = Neuron(2, activation="identity", seed=1)
    >>> n.w[0].data, n.w[1].data = 2.0, -1.0
    >>> n([3.0, 4.0]).data
    2.0
    >>> Neuron(3, nonlin=False).activation
    'identity'
    """

    def __init__(
        self,
        n_in: int,
        activation: str | bool = "relu",
        *,
        nonlin: bool | None = None,
        n_out: int = 1,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        _check_size(n_in, "Neuron: n_in")
        self.activation = _activation_name(activation, nonlin, "Neuron")
        self._act = _called_as_method(ACTIVATIONS[self.activation])
        rng = _generator(seed, rng, "Neuron")
        self.w = list(map(Value, initial_weights(n_in, n_out, self.activation, rng)))
        self.b = Value(0.0)

    @property
    def n_in(self) -> int:
        """The number of inputs."""
        return len(self.w)

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: True unless the activation is the identity."""
        return self.activation != "identity"

    def forward(self, x: Sequence[Any]) -> Value:
        """act(w . x + b) as one `dot` node with its bias (plus one activation node)."""
        return self._fire(_inputs(x, len(self.w), "Neuron"))

    def _fire(self, x: list[Value]) -> Value:
        z = dot(self.w, x, bias=self.b)  # z = w . x + b, one node
        return z if self._act is None else self._act(z)

    def __repr__(self) -> str:
        return f"Neuron({self.n_in}, activation={self.activation!r})"


class Layer(Module):
    """`n_out` neurons reading the same `n_in` inputs.

    Called on one example it returns the outputs as a list, or the Value itself when
    `n_out` is 1 (as in micrograd); `layer.outputs(x)` is always a list.

    >>> layer = Layer(3, 2, activation="relu", seed=0)
    >>> len(layer([1.0, 2.0, 3.0])), layer.n_parameters
    (2, 8)
    >>> Layer(3, 1, nonlin=False, seed=0)([1.0, 2.0, 3.0])
    Value(...)
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str | bool = "relu",
        *,
        nonlin: bool | None = None,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        _check_size(n_in, "Layer: n_in")
        _check_size(n_out, "Layer: n_out")
        self.activation = _activation_name(activation, nonlin, "Layer")
        rng = _generator(seed, rng, "Layer")
        self.neurons = [Neuron(n_in, self.activation, n_out=n_out, rng=rng)
                        for _ in range(n_out)]

    @property
    def n_in(self) -> int:
        """The number of inputs."""
        return self.neurons[0].n_in

    @property
    def n_out(self) -> int:
        """The number of outputs (neurons)."""
        return len(self.neurons)

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: True unless the activation is the identity."""
        return self.activation != "identity"

    def outputs(self, x: Sequence[Any]) -> list[Value]:
        """Each neuron's output, in order, always as a list.

        >>> len(Layer(2, 1, seed=0).outputs([1.0, 2.0]))
        1
        """
        return self._outputs(_inputs(x, self.n_in, "Layer"))

    def _outputs(self, x: list[Value]) -> list[Value]:
        return [neuron._fire(x) for neuron in self.neurons]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        """The neurons' outputs: a list, or the single Value when there is one neuron."""
        return _one_or_list(self.outputs(x))

    def __repr__(self) -> str:
        return f"Layer({self.n_in}, {self.n_out}, activation={self.activation!r})"


class _LoadMethod:
    """`MLP.load(path)` builds a new model; `model.load(path)` fills this one in."""

    def __get__(self, instance: MLP | None, owner: type[MLP]) -> Callable[..., MLP]:
        if instance is None:

            def load(path: str | os.PathLike[str], *,
                     max_parameters: int | None = MAX_PARAMETERS) -> MLP:
                """A new MLP built from a model file written by `save` (checked field by field).

                The architecture's parameter count is checked against `max_parameters`
                (None: no limit) before anything is built.
                """
                return owner._from_file(path, max_parameters)
        else:

            def load(path: str | os.PathLike[str]) -> MLP:
                """Set this model's weights from a model file of the same architecture."""
                return instance._load_into(path)

        return load


# torch.nn class name of each activation (identity: no module).
_TORCH_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}


def _torch(where: str) -> Any:
    try:
        return importlib.import_module("torch")
    except ImportError as error:
        raise ImportError(
            f"{where} needs PyTorch: pip install 'scalar-autograd[torch]'"
        ) from error


class MLP(Module):
    """A multilayer perceptron: `MLP(n_in, [hidden..., n_out])`.

    Hidden layers use `activation`, the last layer `output_activation` (identity by
    default, giving logits for the losses), which is micrograd's MLP too. Weights come
    from `random.Random(seed)` when `seed` is given (the same seed, the same network),
    else from the library's generator (fresh each time; `autograd.manual_seed` makes that
    reproducible). Python's global random state is left alone.

    Calling the model on one example (a sequence of numbers or Values) returns its output
    Value when there is one output, else the list of outputs; `model.outputs(x)` is always
    a list. A model larger than `max_parameters` (default `MAX_PARAMETERS`; None: no limit)
    is refused before anything is built. `rng` draws the weights instead of a seed.

    >>> model = MLP(3, [4, 4, 1], seed=0)
    >>> model.n_parameters, type(model([1.0, 2.0, 3.0])).__name__
    (41, 'Value')
    >>> len(MLP(3, [4, 2], seed=0)([1.0, 2.0, 3.0]))
    2
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
        seed: int | None = None,
        rng: random.Random | None = None,
        max_parameters: int | None = MAX_PARAMETERS,
    ) -> None:
        _check_size(n_in, "MLP: n_in")
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
            raise ValueError(f"MLP: sizes must be a non-empty list of layer sizes, "
                             f"got {sizes!r:.60}")
        for i, size in enumerate(sizes):
            _check_size(size, f"MLP: sizes[{i}]")
        _check_activation(activation, "MLP")
        _check_activation(output_activation, "MLP (output_activation)")
        check_parameter_count(n_in, sizes, max_parameters)
        self.n_in = n_in
        self.sizes = tuple(sizes)
        self.activation = activation
        self.output_activation = output_activation
        self.seed = seed
        rng = _generator(seed, rng, "MLP")
        fan_ins = [n_in, *sizes[:-1]]
        last = len(sizes) - 1
        self.layers = [
            Layer(fan_in, size, output_activation if i == last else activation, rng=rng)
            for i, (fan_in, size) in enumerate(zip(fan_ins, sizes))
        ]

    def outputs(self, x: Sequence[Any]) -> list[Value]:
        """The outputs of the last layer for one example, always as a list.

        >>> MLP(2, [3, 1], seed=0).outputs([1.0, 2.0])
        [Value(...)]
        """
        out = _inputs(x, self.n_in, "MLP")
        for layer in self.layers:
            out = layer._outputs(out)
        return out

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        """The output Value for one example, or the list of outputs if there are several."""
        return _one_or_list(self.outputs(x))

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
    def _from_file(cls, path: str | os.PathLike[str],
                   max_parameters: int | None = MAX_PARAMETERS) -> MLP:
        checkpoint = load_checkpoint(path)
        model = cls._from_architecture(checkpoint.architecture, path, max_parameters)
        model._set_state(checkpoint.parameters, path)
        return model

    def _load_into(self, path: str | os.PathLike[str]) -> MLP:
        checkpoint = load_checkpoint(path)
        check_architecture(checkpoint.architecture, path, max_parameters=None)  # compared next
        for key, value in self.architecture.items():
            if checkpoint.architecture[key] != value:
                raise CheckpointError(
                    path, f"architecture.{key}",
                    f"the file has {checkpoint.architecture[key]!r:.60}, this model has "
                    f"{value!r:.60}")
        self._set_state(checkpoint.parameters, path)
        return self

    def _set_state(self, parameters: Mapping[str, float], path: str | os.PathLike[str]) -> None:
        def missing(name: str) -> CheckpointError:
            return CheckpointError(path, f"parameters.{name}", "missing")

        def unexpected(name: str) -> CheckpointError:
            return CheckpointError(path, f"parameters.{name:.80}",
                                   "unexpected: not a parameter of this architecture")

        self._load_checked(parameters, os.fspath(path), missing, unexpected)

    @classmethod
    def _from_architecture(cls, architecture: Mapping[str, Any], path: str | os.PathLike[str],
                           max_parameters: int | None = MAX_PARAMETERS) -> MLP:
        check_architecture(architecture, path, max_parameters)
        # The weights are set right after: none are drawn (the library's generator is left
        # untouched by a load).
        return cls(architecture["n_in"], architecture["sizes"], architecture["activation"],
                   architecture["output_activation"], rng=_NoDraws(), max_parameters=None)

    # -- PyTorch ---------------------------------------------------------------------------------

    def to_torch(self) -> Any:
        """The same network as a `torch.nn.Sequential` of float64 `Linear` layers and activations.

        Same weights, same outputs; needs PyTorch (`pip install 'scalar-autograd[torch]'`).

        >>> import torch
        >>> model = MLP(2, [3, 1], activation="tanh", seed=0)
        >>> seq = model.to_torch()
        >>> seq
        Sequential(
          (0): Linear(in_features=2, out_features=3, bias=True)
          (1): Tanh()
          (2): Linear(in_features=3, out_features=1, bias=True)
        )
        >>> seq(torch.tensor([0.5, -1.0], dtype=torch.float64)).item() == model([0.5, -1.0]).data
        True
        """
        torch = _torch("MLP.to_torch")
        modules = []
        for layer in self.layers:
            # Built on the "meta" device: no random initialisation, torch's generator untouched.
            linear = torch.nn.Linear(layer.n_in, layer.n_out, device="meta", dtype=torch.float64)
            linear.weight = torch.nn.Parameter(torch.tensor(
                [[w.data for w in neuron.w] for neuron in layer.neurons], dtype=torch.float64))
            linear.bias = torch.nn.Parameter(torch.tensor(
                [neuron.b.data for neuron in layer.neurons], dtype=torch.float64))
            modules.append(linear)
            if layer.activation != "identity":
                modules.append(getattr(torch.nn, _TORCH_ACTIVATIONS[layer.activation])())
        return torch.nn.Sequential(*modules)

    @classmethod
    def from_torch(cls, module: Any, *, max_parameters: int | None = MAX_PARAMETERS) -> MLP:
        """An MLP with the weights of a `torch.nn.Sequential` of `Linear` layers, each
        followed by nothing or one of ReLU, Tanh, Sigmoid, Identity (the reverse of `to_torch`).

        Hidden layers must share one activation. Weights become Python floats (float32
        weights convert exactly). Anything else is a one-line ValueError naming the module.

        >>> import torch
        >>> seq = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
        >>> MLP.from_torch(seq)
        MLP(2 -> 4 -> 1, activation='relu', output_activation='identity', parameters=17)
        """
        torch = _torch("MLP.from_torch")
        where = "MLP.from_torch"
        if type(module) is not torch.nn.Sequential:
            raise ValueError(f"{where}: expected a torch.nn.Sequential of Linear layers and "
                             f"activations, got {type(module).__name__}")
        by_type = {getattr(torch.nn, torch_name): name
                   for name, torch_name in _TORCH_ACTIVATIONS.items()}
        by_type[torch.nn.Identity] = "identity"
        supported = "Linear, ReLU, Tanh, Sigmoid, Identity"
        layers: list[tuple[Any, str]] = []  # (Linear, the activation that follows it)
        for index, child in enumerate(module):
            kind = type(child)
            what = f"{where}: module {index} ({kind.__name__})"
            if kind is torch.nn.Linear:
                if child.bias is None:
                    raise ValueError(f"{what} has no bias; every MLP neuron has one")
                if layers and child.in_features != layers[-1][0].out_features:
                    raise ValueError(f"{what} takes {child.in_features} inputs but the layer "
                                     f"before gives {layers[-1][0].out_features}")
                layers.append((child, "identity"))
            elif kind in by_type:
                if not layers:
                    raise ValueError(f"{what} comes before any Linear layer")
                if by_type[kind] != "identity":
                    if layers[-1][1] != "identity":
                        raise ValueError(f"{what} follows another activation; an MLP layer "
                                         f"has one")
                    layers[-1] = (layers[-1][0], by_type[kind])
            else:
                raise ValueError(f"{what} is not supported; an MLP is built from {supported}")
        if not layers:
            raise ValueError(f"{where}: the Sequential holds no Linear layer")
        hidden = sorted({activation for _, activation in layers[:-1]})
        if len(hidden) > 1:
            raise ValueError(f"{where}: the hidden layers use different activations "
                             f"({', '.join(hidden)}); an MLP has one")
        sizes = [linear.out_features for linear, _ in layers]
        model = cls(layers[0][0].in_features, sizes, hidden[0] if hidden else "relu",
                    layers[-1][1], rng=_NoDraws(), max_parameters=max_parameters)
        state: dict[str, float] = {}
        for i, (linear, _) in enumerate(layers):
            weights = linear.weight.detach().to(device="cpu", dtype=torch.float64).tolist()
            biases = linear.bias.detach().to(device="cpu", dtype=torch.float64).tolist()
            for j, (row, bias) in enumerate(zip(weights, biases)):
                for k, w in enumerate(row):
                    state[f"layers.{i}.neurons.{j}.w.{k}"] = w
                state[f"layers.{i}.neurons.{j}.b"] = bias
        model.load_state_dict(state, source=where)
        return model


def check_architecture(architecture: Mapping[str, Any], path: str | os.PathLike[str],
                       max_parameters: int | None) -> None:
    """Check a model file's `architecture` field by field, and its size against
    `max_parameters` (None: no limit), before anything is built; a `CheckpointError` names
    the file and the field.

    >>> check_architecture({"type": "MLP", "n_in": 2, "sizes": [0], "activation": "relu",
    ...                     "output_activation": "identity"}, "m.json", None)
    Traceback (most recent call last):
    ...
    autograd.files.CheckpointError: m.json: field 'architecture.sizes.0': expected a positive integer, got 0
    """
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
        raise fail("type", f"expected 'MLP', got {architecture['type']!r:.60}")
    n_in = architecture["n_in"]
    if isinstance(n_in, bool) or not isinstance(n_in, int) or n_in < 1:
        raise fail("n_in", f"expected a positive integer, got {n_in!r:.60}")
    sizes = architecture["sizes"]
    if not isinstance(sizes, list) or not sizes:
        raise fail("sizes", f"expected a non-empty list of layer sizes, got {sizes!r:.60}")
    for i, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise fail(f"sizes.{i}", f"expected a positive integer, got {size!r:.60}")
    for key in ("activation", "output_activation"):
        if architecture[key] not in ACTIVATIONS:
            raise fail(key, f"unknown activation {architecture[key]!r:.60}; expected one of "
                            f"{', '.join(ACTIVATIONS)}")
    # Before anything is built: a small file can ask for an enormous network.
    try:
        check_parameter_count(n_in, sizes, max_parameters, where="")
    except ValueError as error:
        raise fail("sizes", str(error)) from None
