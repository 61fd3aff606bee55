"""jupyter_kernel_test suite for the nabla kernel: every attribute of KernelTests is set.

Run by tests/kernel/run.sh, which installs the kernelspec into a temporary JUPYTER_PATH.
"""
import os
import unittest

import jupyter_kernel_test as jkt

FAKE = os.environ.get("NABLA_KERNEL_FAKE") == "1"   # protocol-only build with tests/kernel/fake_lang.c


class NablaKernelTests(jkt.KernelTests):
    kernel_name = "nabla"
    language_name = "nabla"
    file_extension = ".nabla"

    code_hello_world = 'print("hello, world")'
    code_stderr = 'warn("careful: the loss is NaN")'

    completion_samples = [
        {"text": "zer", "matches": {"zeros"}},
        {"text": "prin", "matches": {"print"}},
    ]
    complete_code_samples = ["1", "x = zeros(3)", "print(6*7)"]
    incomplete_code_samples = ["f(1,", "for i in range(3):", "[1, 2,"]
    invalid_code_samples = ["x = = 1"]

    code_page_something = "help(print)"
    code_generate_error = "undefined_name"

    code_execute_result = [
        {"code": "6*7", "result": "42"},
        {"code": "1+2+3", "result": "6"},
    ]
    if FAKE:
        code_display_data = [{"code": 'display_html("<b>x</b>")', "mime": "text/html"}]
    else:
        # Rich MIME types (HTML tables, PNG plots) are checked in test_protocol.test_rich_display.
        code_display_data = [
            {"code": "display(6*7)", "mime": "text/plain"},
            {"code": 'display("a", [1, 2])', "mime": "text/plain"},
        ]

    code_history_pattern = "6?7"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "zeros"
    code_clear_output = "clear_output()"


if __name__ == "__main__":
    unittest.main()
