"""Writes the test notebooks of tests/notebooks/ (run: /usr/bin/python3 tests/notebooks/generate.py).

Each code cell may carry metadata "expect" (checked by tests/kernel/test_notebooks.py) and the
tag raises-exception (nbclient then accepts its error)."""
import os
import nbformat
from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell

KS = {"kernelspec": {"name": "nabla", "display_name": "Nabla", "language": "nabla"},
      "language_info": {"name": "nabla", "file_extension": ".nabla", "codemirror_mode": "python",
                        "pygments_lexer": "python", "mimetype": "text/x-nabla"}}

def code(src, expect=None, tags=None):
    c = new_code_cell(src)
    if expect:
        c.metadata["expect"] = expect
    if tags:
        c.metadata["tags"] = tags
    return c

def write(name, cells):
    for i, c in enumerate(cells):
        c.id = "%s-%d" % (name.split(".")[0], i)   # stable ids: regenerating changes nothing
    nb = new_notebook(cells=cells, metadata=KS)
    nbformat.validate(nb)
    nbformat.write(nb, os.path.join(os.path.dirname(os.path.abspath(__file__)), name))

write("basics.ipynb", [
    new_markdown_cell("# Nabla basics\nNumbers, names, functions, loops and tensors; each cell's expected output is in its metadata."),
    code("x = 3\nx * 14", {"result": "42"}),
    code('print("hello, notebook")', {"stdout": "hello, notebook\n"}),
    code("def square(v):\n    return v * v\n\nsquare(7)", {"result": "49"}),
    code("total = 0\nfor i in range(5):\n    total += i\ntotal", {"result": "10"}),
    code("words = []\nwords.append(\"grad\")\nlen(words)", {"result": "1"}),
    code("t = tensor([[1, 2], [3, 4]])\nt.shape", {"result": "[2, 2]"}),
    code("s = t @ t\nprint(s[1, 1])", {"stdout": "22\n"}),
    code('warn("just a warning")', {"stderr_contains": "just a warning"}),
    code("help(print)"),
    code("x", {"result": "3"}),
])

write("errors_and_input.ipynb", [
    new_markdown_cell("# Errors keep the session alive\nCells tagged `raises-exception` must fail with the stated error; the variables survive."),
    code("y = 10"),
    code("undefined_name", {"ename": "NameError"}, ["raises-exception"]),
    code("y + 1", {"result": "11"}),
    code('name = input("your name? ")', {"ename": "IOError"}, ["raises-exception"]),
    code("y * 2", {"result": "20"}),
    code("def f(n):\n    return g(n)\n\nf(1)", {"ename": "NameError"}, ["raises-exception"]),
    code('print("still here")', {"stdout": "still here\n"}),
])

write("display.ipynb", [
    new_markdown_cell("# Rich output\n`display`, `clear_output`, the pager and tensors as text."),
    code('print("before")\ndisplay(6*7)\nprint("after")', {"stdout": "before\nafter\n", "mime": ["text/plain"]}),
    code('print("gone")\nclear_output()\nprint("kept")', {"stdout": "kept\n"}),
    code('print("one")\nclear_output(wait=True)\nprint("two")', {"stdout": "two\n"}),
    code("help(zeros)"),
    code("t = zeros(2, 3)\nt.shape", {"result": "[2, 3]"}),
    code("for i in range(3):\n    print(i)", {"stdout": "0\n1\n2\n"}),
    code("s = 0\nfor i in range(100000):\n    s += i\ns", {"result": "4999950000"}),
])
