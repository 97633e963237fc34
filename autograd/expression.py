"""The `graph` command's expression parser under its older module name: it lives in
`autograd.cli.expression`, beside the command.

>>> from autograd.expression import parse
>>> parse("tanh(x*w + b)").names
('x', 'w', 'b')
"""

from autograd.cli.expression import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    Expression,
    ExpressionError,
    Token,
    evaluate,
    parse,
    tokenize,
)

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "Expression",
    "ExpressionError",
    "Token",
    "evaluate",
    "parse",
    "tokenize",
]
