"""Every notebook in tests/notebooks/ runs under nbclient with the nabla kernel, without error.

A cell may state what it must produce in its metadata, and the test checks it:

    "expect": {"result": "42",            # execute_result text/plain, exactly
               "stdout": "hello\\n",       # all stdout text of the cell, exactly
               "stderr_contains": "NaN",   # some stderr text
               "ename": "NameError",       # the error of a `raises-exception` cell
               "mime": ["image/png"],      # MIME types present in the cell's display_data
               "pager": true}              # (pager payloads are not kept in .ipynb: ignored)
"""
import glob
import os
import unittest

import nbformat
from nbclient import NotebookClient

HERE = os.path.dirname(os.path.abspath(__file__))
NOTEBOOKS = sorted(glob.glob(os.path.join(HERE, "..", "notebooks", "*.ipynb")))


def outputs_of(cell, output_type):
    return [o for o in cell.get("outputs", []) if o["output_type"] == output_type]


class NotebookTests(unittest.TestCase):
    def test_there_are_notebooks(self):
        self.assertGreater(len(NOTEBOOKS), 0)

    def check_cell(self, name, i, cell):
        want = cell.metadata.get("expect")
        if not want:
            return
        where = "%s cell %d" % (name, i)
        if "result" in want:
            results = outputs_of(cell, "execute_result")
            self.assertEqual(len(results), 1, where)
            self.assertEqual(results[0]["data"]["text/plain"], want["result"], where)
        streams = outputs_of(cell, "stream")
        if "stdout" in want:
            text = "".join(o["text"] for o in streams if o["name"] == "stdout")
            self.assertEqual(text, want["stdout"], where)
        if "stderr_contains" in want:
            text = "".join(o["text"] for o in streams if o["name"] == "stderr")
            self.assertIn(want["stderr_contains"], text, where)
        if "ename" in want:
            errors = outputs_of(cell, "error")
            self.assertEqual(len(errors), 1, where)
            self.assertEqual(errors[0]["ename"], want["ename"], where)
        for mime in want.get("mime", []):
            self.assertTrue(any(mime in o["data"] for o in outputs_of(cell, "display_data")),
                            "%s: no display_data with %s" % (where, mime))

    def run_notebook(self, path):
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, kernel_name="nabla", timeout=120, startup_timeout=30,
                                allow_errors=False, resources={"metadata": {"path": os.path.dirname(path)}})
        client.execute()
        name = os.path.basename(path)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                self.check_cell(name, i, cell)


def _make_test(path):
    def test(self):
        self.run_notebook(path)
    return test


for _path in NOTEBOOKS:
    _name = "test_" + os.path.splitext(os.path.basename(_path))[0].replace("-", "_")
    setattr(NotebookTests, _name, _make_test(_path))


if __name__ == "__main__":
    unittest.main()
