"""A griffe extension for the API reference: docstring examples shown as interactive Python.

The library's docstrings are prose followed by `>>>` examples (run by the test suite as
doctests). Markdown would read `>>>` as nested quotes, so each run of example lines (the
`>>>` and `...` lines and the expected output after them, up to a blank line) is put in a
fenced `pycon` block before the docstring is rendered.
"""

from __future__ import annotations

from typing import Any

import griffe


def fence_examples(text: str) -> str:
    """Wrap every doctest example of `text` in a ```pycon fence.

    >>> print(fence_examples("Adds.\\n\\n>>> 1 + 1\\n2\\n\\nDone."))
    Adds.
    <BLANKLINE>
    ```pycon
    >>> 1 + 1
    2
    ```
    <BLANKLINE>
    Done.
    """
    out: list[str] = []
    in_example = False
    indent = ""
    for line in text.splitlines():
        stripped = line.lstrip()
        if not in_example and stripped.startswith(">>>"):
            in_example = True
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
        elif in_example and not stripped:
            out.append(f"{indent}```")
            in_example = False
        out.append(line)
    if in_example:
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence the `>>>` examples of every docstring once the package is loaded."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        docstring = obj.docstring
        if docstring is not None and ">>>" in docstring.value and "```pycon" not in docstring.value:
            docstring.value = fence_examples(docstring.value)
