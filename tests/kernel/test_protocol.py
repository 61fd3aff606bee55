"""Protocol tests beyond jupyter_kernel_test, with jupyter_client: interrupt, stdin, bad
signatures, live display updates, aborts, silent runs, user_expressions, control channel."""
import hashlib
import hmac
import json
import re
import time
import unittest
import uuid

import zmq

import kutil
from kutil import CODE, of_type, run


class ProtocolTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = kutil.start()

    @classmethod
    def tearDownClass(cls):
        kutil.stop(cls.km, cls.kc)

    def setUp(self):
        kutil.drain_iopub(self.kc, 0.05)

    # ---- interrupt ----------------------------------------------------------------------

    def _start_long_loop(self):
        run(self.kc, CODE["set_state"])
        msg_id = self.kc.execute(CODE["long_loop"])
        # Wait until the loop really runs (busy seen), then a little more.
        while True:
            m = self.kc.get_iopub_msg(timeout=kutil.TIMEOUT)
            if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status":
                break
        time.sleep(0.3)
        return msg_id

    def _expect_interrupted(self, msg_id):
        t0 = time.monotonic()
        reply = kutil.shell_reply(self.kc, msg_id, timeout=10)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "KeyboardInterrupt")
        msgs = kutil.iopub_until_idle(self.kc, msg_id)
        errors = of_type(msgs, "error")
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0]["content"]["ename"], "KeyboardInterrupt")
        # The kernel lives on and keeps its state.
        code, want = CODE["check_state"]
        reply, msgs = run(self.kc, code)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(of_type(msgs, "execute_result")[0]["content"]["data"]["text/plain"], want)

    def test_interrupt_by_signal_stops_long_loop(self):
        msg_id = self._start_long_loop()
        self.km.interrupt_kernel()   # kernelspec interrupt_mode "signal": SIGINT to the group
        self._expect_interrupted(msg_id)

    def test_interrupt_request_on_control(self):
        msg_id = self._start_long_loop()
        req = self.kc.session.msg("interrupt_request", {})
        self.kc.control_channel.send(req)
        reply = self.kc.get_control_msg(timeout=5)
        self.assertEqual(reply["msg_type"], "interrupt_reply")
        self.assertEqual(reply["content"]["status"], "ok")
        self._expect_interrupted(msg_id)

    def test_heartbeat_and_control_answer_during_long_cell(self):
        msg_id = self._start_long_loop()
        time.sleep(1.5)   # longer than the client's time_to_dead of 1 s
        self.assertTrue(self.kc.hb_channel.is_beating())
        req = self.kc.session.msg("kernel_info_request", {})
        self.kc.control_channel.send(req)
        reply = self.kc.get_control_msg(timeout=5)
        self.assertEqual(reply["msg_type"], "kernel_info_reply")
        self.assertEqual(reply["parent_header"]["msg_id"], req["header"]["msg_id"])
        self.km.interrupt_kernel()
        self._expect_interrupted(msg_id)

    # ---- stdin --------------------------------------------------------------------------

    def test_input_request_when_allowed(self):
        msg_id = self.kc.execute(CODE["input"], allow_stdin=True)
        req = self.kc.get_stdin_msg(timeout=10)
        self.kc.input("nabla")   # answer first: a failed check must not leave the kernel waiting
        self.assertEqual(req["msg_type"], "input_request")
        self.assertEqual(req["parent_header"]["msg_id"], msg_id)
        self.assertEqual(req["content"]["prompt"], "name? ")
        self.assertIs(req["content"]["password"], False)
        reply = kutil.shell_reply(self.kc, msg_id)
        self.assertEqual(reply["content"]["status"], "ok")
        msgs = kutil.iopub_until_idle(self.kc, msg_id)
        self.assertEqual(kutil.stdout_text(msgs), CODE["input_echo"])

    def test_interrupt_while_waiting_for_input(self):
        msg_id = self.kc.execute(CODE["input"], allow_stdin=True)
        req = self.kc.get_stdin_msg(timeout=10)
        self.assertEqual(req["msg_type"], "input_request")
        self.km.interrupt_kernel()
        reply = kutil.shell_reply(self.kc, msg_id, timeout=10)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "KeyboardInterrupt")
        kutil.iopub_until_idle(self.kc, msg_id)
        self.assertEqual(run(self.kc, "6*7")[0]["content"]["status"], "ok")

    def test_unicode_output_is_exact(self):
        reply, msgs = run(self.kc, 'print("\u2207 caf\u00e9 \U0001f600")')
        self.assertEqual(kutil.stdout_text(msgs), "\u2207 caf\u00e9 \U0001f600\n")

    def test_long_output_is_coalesced_and_whole(self):
        if kutil.FAKE:
            self.skipTest("needs the real language")
        reply, msgs = run(self.kc, 's = "\u00e9" * 50000\nfor i in range(3):\n    print(s)')
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(kutil.stdout_text(msgs), ("\u00e9" * 50000 + "\n") * 3)
        streams = of_type(msgs, "stream")
        self.assertLess(len(streams), 10)   # 300 KB in a few messages, not one per print

    def test_input_refused_when_not_allowed(self):
        reply, msgs = run(self.kc, CODE["input"], allow_stdin=False)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("input", reply["content"]["evalue"])
        self.assertIn("allow_stdin", reply["content"]["evalue"])
        self.assertEqual(len(of_type(msgs, "error")), 1)
        with self.assertRaises(Exception):
            self.kc.get_stdin_msg(timeout=0.3)

    # ---- signatures ---------------------------------------------------------------------

    def _raw_shell(self):
        ctx = zmq.Context.instance()
        sock = ctx.socket(zmq.DEALER)
        sock.linger = 0
        info = self.km.get_connection_info()
        sock.connect("tcp://%s:%d" % (info["ip"], info["shell_port"]))
        return sock, info["key"]

    @staticmethod
    def _frames(code, key, tamper=None):
        header = {"msg_id": uuid.uuid4().hex, "msg_type": "execute_request", "username": "t",
                  "session": uuid.uuid4().hex, "date": "2026-01-01T00:00:00.000000Z", "version": "5.3"}
        content = {"code": code, "silent": False, "store_history": False,
                   "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
        parts = [json.dumps(d).encode() for d in (header, {}, {}, content)]
        sig = hmac.new(key, b"".join(parts), hashlib.sha256).hexdigest().encode()
        if tamper == "wrong":
            sig = hmac.new(b"not-the-key", b"".join(parts), hashlib.sha256).hexdigest().encode()
        elif tamper == "missing":
            sig = b""
        elif tamper == "content":
            parts[3] = parts[3].replace(b"6*7", b"7*7")
        elif tamper == "short":
            sig = sig[:10]
        return header["msg_id"], [b"<IDS|MSG>", sig] + parts

    def test_bad_signatures_are_dropped(self):
        sock, key = self._raw_shell()
        try:
            bad = []
            for tamper in ("wrong", "missing", "content", "short"):
                msg_id, frames = self._frames("6*7", key, tamper)
                sock.send_multipart(frames)
                bad.append(msg_id)
            sock.send_multipart([b"<IDS|MSG>", b"garbage"])            # too few frames
            sock.send_multipart([b"no delimiter", b"at all"])
            self.assertEqual(sock.poll(1000), 0, "a badly signed message got a reply")
            for m in kutil.drain_iopub(self.kc, 0.2):
                self.assertNotIn(m["parent_header"].get("msg_id"), bad)
            # A correctly signed message on the same socket is answered.
            msg_id, frames = self._frames("6*7", key)
            sock.send_multipart(frames)
            self.assertTrue(sock.poll(5000))
            reply = sock.recv_multipart()
            i = reply.index(b"<IDS|MSG>")
            parts = reply[i + 2:i + 6]
            want = hmac.new(key, b"".join(parts), hashlib.sha256).hexdigest().encode()
            self.assertEqual(reply[i + 1], want)
            self.assertEqual(json.loads(parts[1])["msg_id"], msg_id)
            self.assertEqual(json.loads(parts[3])["status"], "ok")
        finally:
            sock.close()

    # ---- live display updates -----------------------------------------------------------

    def test_update_display_data_is_throttled(self):
        for code in CODE["live"]:
            t0 = time.monotonic()
            reply, msgs = run(self.kc, code, timeout=120)
            elapsed = time.monotonic() - t0
            if reply["content"]["status"] == "ok":
                break
            self.assertIn(reply["content"]["ename"], ("NameError", "TypeError", "AttributeError"))
        else:
            self.skipTest("the language has no display-update API yet (the protocol suite with "
                          "the fake language covers update_display_data)")
        displays = [m for m in of_type(msgs, "display_data") if m["content"].get("transient")]
        self.assertEqual(len(displays), 1)
        display_id = displays[0]["content"]["transient"]["display_id"]
        self.assertTrue(display_id)
        updates = of_type(msgs, "update_display_data")
        self.assertGreaterEqual(len(updates), 1)
        for u in updates:
            self.assertEqual(u["content"]["transient"]["display_id"], display_id)
            self.assertIn("text/plain", u["content"]["data"])
        self.assertLessEqual(len(updates), 12 * elapsed + 3, "IOPub flooded with updates")
        if CODE["live_last"]:   # the last frame is always sent
            self.assertEqual(updates[-1]["content"]["data"]["text/plain"].strip("'\""), CODE["live_last"])

    def test_rich_display(self):
        """HTML tables and pictures, once the language has models and plots."""
        samples = [("model = Sequential([Dense(4), Dense(1)])\nmodel.build([None, 3])\ndisplay(model)", "text/html"),
                   ("plot([1, 4, 9, 16])", "image/png")]
        if kutil.FAKE:
            samples = [('display_html("<b>x</b>")', "text/html")]
        tried = 0
        for code, mime in samples:
            reply, msgs = run(self.kc, code)
            if reply["content"]["status"] != "ok" and reply["content"]["ename"] in ("NameError", "AttributeError"):
                continue
            tried += 1
            self.assertEqual(reply["content"]["status"], "ok", code)
            data = [m["content"]["data"] for m in of_type(msgs, "display_data")]
            self.assertTrue(any(mime in d and "text/plain" in d for d in data), (code, data))
        if not tried:
            self.skipTest("the language has no models or plots yet")

    # ---- execute semantics --------------------------------------------------------------

    def test_stop_on_error_aborts_queued_cells(self):
        # The failing cell runs a while, so the next two are surely queued when it fails.
        ids = [self.kc.execute(CODE["slow_error"]), self.kc.execute("6*7"), self.kc.execute("1+2+3")]
        replies = [kutil.shell_reply(self.kc, i) for i in ids]
        self.assertEqual([r["content"]["status"] for r in replies], ["error", "aborted", "aborted"])
        for i in ids:
            msgs = kutil.iopub_until_idle(self.kc, i)
            self.assertEqual(msgs[0]["content"]["execution_state"], "busy")
        for r in replies:
            self.assertIn("execution_count", r["content"])
        reply, msgs = run(self.kc, "6*7")
        self.assertEqual(reply["content"]["status"], "ok")

    def test_no_abort_without_stop_on_error(self):
        ids = [self.kc.execute("undefined_name", stop_on_error=False), self.kc.execute("6*7")]
        replies = [kutil.shell_reply(self.kc, i) for i in ids]
        self.assertEqual([r["content"]["status"] for r in replies], ["error", "ok"])

    def test_silent_publishes_nothing_and_keeps_count(self):
        before = run(self.kc, "1")[0]["content"]["execution_count"]
        reply, msgs = run(self.kc, 'print("quiet")\n6*7', silent=True)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(reply["content"]["execution_count"], before)
        self.assertEqual([m["msg_type"] for m in msgs], ["status", "status"])
        after = run(self.kc, "1")[0]["content"]["execution_count"]
        self.assertEqual(after, before + 1)

    def test_execute_input_and_result_carry_the_count(self):
        reply, msgs = run(self.kc, "6*7")
        n = reply["content"]["execution_count"]
        self.assertEqual(of_type(msgs, "execute_input")[0]["content"]["execution_count"], n)
        self.assertEqual(of_type(msgs, "execute_result")[0]["content"]["execution_count"], n)
        self.assertEqual(msgs[0]["content"]["execution_state"], "busy")
        self.assertEqual(msgs[1]["msg_type"], "execute_input")

    def test_user_expressions(self):
        reply, _ = run(self.kc, CODE["set_state"],
                       user_expressions={"a": "6*7", "b": "undefined_name"})
        ue = reply["content"]["user_expressions"]
        self.assertEqual(ue["a"]["status"], "ok")
        self.assertEqual(ue["a"]["data"]["text/plain"], "42")
        self.assertEqual(ue["b"]["status"], "error")
        self.assertEqual(ue["b"]["ename"], "NameError")

    def test_error_has_caret_traceback(self):
        reply, msgs = run(self.kc, "undefined_name")
        err = of_type(msgs, "error")[0]["content"]
        self.assertEqual(err["ename"], "NameError")
        self.assertTrue(err["evalue"])
        self.assertTrue(any(line.strip() == "^" or "^" in line for line in err["traceback"]))
        self.assertEqual(reply["content"]["traceback"], err["traceback"])

    # ---- other requests -----------------------------------------------------------------

    def test_complete_counts_code_points(self):
        code = 'print("été")\nzer'
        msg_id = self.kc.complete(code, len(code))
        reply = kutil.shell_reply(self.kc, msg_id)["content"]
        self.assertEqual(reply["matches"], ["zeros"])
        self.assertEqual(reply["cursor_start"], len(code) - 3)
        self.assertEqual(reply["cursor_end"], len(code))

    def test_is_complete_gives_indent(self):
        msg_id = self.kc.is_complete("for i in range(3):")
        reply = kutil.shell_reply(self.kc, msg_id)["content"]
        self.assertEqual(reply["status"], "incomplete")
        self.assertEqual(reply["indent"], "    ")

    def test_inspect_unknown_is_not_found(self):
        msg_id = self.kc.inspect("no_such_name_here", 17)
        reply = kutil.shell_reply(self.kc, msg_id)["content"]
        self.assertEqual(reply["status"], "ok")
        self.assertIs(reply["found"], False)

    def test_comm_info_and_unknown_requests_get_busy_idle(self):
        msg_id = self.kc.comm_info()
        reply = kutil.shell_reply(self.kc, msg_id)
        self.assertEqual(reply["content"], {"status": "ok", "comms": {}})
        req = self.kc.session.msg("no_such_request", {})
        self.kc.shell_channel.send(req)
        states = [m["content"]["execution_state"] for m in kutil.iopub_until_idle(self.kc, req["header"]["msg_id"])]
        self.assertEqual(states, ["busy", "idle"])

    def test_comm_open_to_unknown_target_is_closed(self):
        req = self.kc.session.msg("comm_open", {"comm_id": "c-1", "target_name": "nobody", "data": {}})
        self.kc.shell_channel.send(req)
        msgs = kutil.iopub_until_idle(self.kc, req["header"]["msg_id"])
        closes = of_type(msgs, "comm_close")
        self.assertEqual(len(closes), 1)
        self.assertEqual(closes[0]["content"]["comm_id"], "c-1")

    def test_history_with_output(self):
        run(self.kc, "6*7")
        msg_id = self.kc.history(hist_access_type="tail", n=1, output=True, raw=True)
        hist = kutil.shell_reply(self.kc, msg_id)["content"]["history"]
        self.assertEqual(len(hist), 1)
        self.assertEqual(hist[0][2], ["6*7", "42"])

    def test_headers_dates_and_unique_ids(self):
        _, msgs = run(self.kc, 'print("x")\n6*7')
        pat = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        ids = set()
        for m in msgs:
            h = m["header"]
            self.assertEqual(h["version"], "5.3")
            ids.add(h["msg_id"])
        self.assertEqual(len(ids), len(msgs))
        # jupyter_client parses the date; check the raw form on a fresh raw message.
        sock, key = self._raw_shell()
        try:
            _, frames = self._frames("1", key)
            sock.send_multipart(frames)
            self.assertTrue(sock.poll(5000))
            reply = sock.recv_multipart()
            header = json.loads(reply[reply.index(b"<IDS|MSG>") + 2])
            self.assertRegex(header["date"], pat)
        finally:
            sock.close()


if __name__ == "__main__":
    unittest.main()
