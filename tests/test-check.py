#!/usr/bin/env python3
"""groupy-check gives the same verdict, and names the same first violation,
for every order of its arguments: each verdict it can give (OK, every kind
of violation, an unreadable log) is built here from small hand-written JSON
Lines logs, and the checker runs on every permutation of them.

    test-check.py GROUPY-CHECK
"""
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile


def rotate(rgb, n):
    """The worker's color rule: (R,G,B) := (G, B, (R+N) mod 256)."""
    r, g, b = rgb
    return (g, b, (r + n) % 256)


class Log:
    """One worker's log, written as the worker writes it."""

    def __init__(self, name, delivery="agreed"):
        self.name = name
        self.color = (0, 0, 0)
        self.lines = [{"ev": "start", "name": name, "pid": 1, "delivery": delivery}]
        self.sent = 0

    def ev(self, **fields):
        self.lines.append(fields)
        return self

    def view(self, view, seq, members):
        return self.ev(ev="view", view=view, seq=seq, leader=members[0], members=members,
                       color=list(self.color))

    def state(self, seq, color):
        self.color = tuple(color)
        return self.ev(ev="state", seq=seq, color=list(self.color))

    def send(self, change):
        self.sent += 1
        return self.ev(ev="send", id=self.sent, change=change)

    def deliver(self, seq, sender, k, change):
        self.color = rotate(self.color, change)
        return self.ev(ev="deliver", seq=seq, **{"from": sender}, id=k, change=change,
                       color=list(self.color))

    def foreign(self, seq, sender, size, digest):
        """A message from a program that is not a worker: no change."""
        return self.ev(ev="deliver", seq=seq, **{"from": sender}, bytes=size, digest=digest,
                       color=list(self.color))

    def text(self):
        return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in self.lines)


def history(*members):
    """A group's shared history up to position 5, as a and b (and others
    that joined at 3) see it: a creates (view 1), multicasts, b joins
    (view 2 at 3), both multicast."""
    logs = {}
    for name in members:
        logs[name] = Log(name)
    a = logs["a"]
    a.view(1, 1, ["a"]).send(3).deliver(2, "a", 1, 3)
    a.view(2, 3, ["a", "b"])
    b = logs["b"]
    b.state(3, a.color).view(2, 3, ["a", "b"])
    b.send(5)
    for m in (a, b):
        m.deliver(4, "b", 1, 5)
    a.send(7)
    for m in (a, b):
        m.deliver(5, "a", 2, 7)
    return a, b


def crashed_member(delivery="agreed"):
    """c joins at 6, delivers 7, then (its last view being 6) delivers at 8
    a message the group never had: a and b install view 4 at 8 instead.
    The situation of issue 12 (a crashed member whose log, read before its
    end, looked like a disagreement)."""
    a, b = history("a", "b")
    c = Log("c", delivery)
    for m in (a, b):
        m.view(3, 6, ["a", "b", "c"])
    c.state(6, a.color).view(3, 6, ["a", "b", "c"])
    for m in (a, b, c):
        m.deliver(7, "a", 3, 2) if m is not a else m.send(2).deliver(7, "a", 3, 2)
    c.send(9).deliver(8, "c", 1, 9)
    for m in (a, b):
        m.view(4, 8, ["a", "b"])
    return a, b, c


def scenarios():
    """(name, logs {file: text or None for a missing file}, extra args,
    expected exit status, text the verdict must contain)."""

    a, b = history("a", "b")
    a.ev(ev="exit")
    b.ev(ev="exit")
    yield "ok: two members to the end", {"a": a, "b": b}, [], 0, "OK: 2 logs"

    a, b, c = crashed_member()
    c.ev(ev="crash")
    a.ev(ev="exit")
    b.ev(ev="exit")
    yield ("ok: a crashed member delivered after its last view what the group filled "
           "otherwise", {"a": a, "b": b, "c": c}, [], 0, "(1 crashed, 2 to the end)")

    # A minority that waited for a quorum, was left out and rejoined; events
    # the checker does not know (blocked, unblocked, a future one) are
    # ignored, wherever they fall.
    a, b, c = crashed_member()
    c.ev(ev="blocked").ev(ev="excluded").ev(ev="unblocked")
    c.state(20, (1, 2, 3)).view(9, 20, ["a", "c"]).ev(ev="some-future-event", x=1)
    c.deliver(21, "a", 9, 1).ev(ev="exit")
    a.ev(ev="blocked").ev(ev="unblocked").ev(ev="exit")
    b.ev(ev="exit")
    yield ("ok: blocked, unblocked and unknown events are ignored",
           {"a": a, "b": b, "c": c}, [], 0, "4 incarnations")

    # A program that is not a worker (the library, embedded) multicast at 6:
    # a position like any other, which every member delivers, the color kept.
    for digest_b, status, said in [("0123456789abcdef", 0, "OK: 2 logs"),
                                   ("fedcba9876543210", 1, "position 6: a has x's 10 bytes (0123")]:
        a, b = history("a", "b")
        a.foreign(6, "x", 10, "0123456789abcdef")
        b.foreign(6, "x", 10, digest_b)
        for m in (a, b):
            m.deliver(7, "a", 3, 2).foreign(8, "x", 3, "00000000000000ff")
        a.ev(ev="exit")
        b.ev(ev="exit")
        yield (f"{'ok' if status == 0 else 'violation'}: a message not from a worker "
               f"({'the same' if status == 0 else 'another'} at each member)",
               {"a": a, "b": b}, [], status, said)

    a, b, c = crashed_member()
    a.ev(ev="exit")
    b.ev(ev="exit")
    yield ("ok: a member killed from outside (no last line) is exempt too",
           {"a": a, "b": b, "c": c}, [], 0, "OK: 3 logs")

    a, b, c = crashed_member()
    c.ev(ev="excluded")
    c.state(20, (1, 2, 3)).view(9, 20, ["a", "c"]).deliver(21, "a", 9, 1)
    c.ev(ev="exit")
    a.ev(ev="exit")
    b.ev(ev="exit")
    # a and b stopped logging before 20: c's second incarnation is alone there.
    yield ("ok: an excluded member that rejoined is two incarnations",
           {"a": a, "b": b, "c": c}, [], 0, "4 incarnations")

    # Stopped while it rejoined: the incarnation that was left out did not
    # live to the end for having its process exit cleanly (the exit made
    # it a survivor, whose delivery at 8 and lost multicast were judged).
    a, b, c = crashed_member()
    c.ev(ev="excluded").ev(ev="exit")
    a.ev(ev="exit")
    b.ev(ev="exit")
    yield ("ok: a member stopped while it rejoined", {"a": a, "b": b, "c": c}, [], 0,
           "OK: 3 logs")

    a, b, c = crashed_member()
    c.ev(ev="exit")
    a.ev(ev="exit")
    b.ev(ev="exit")
    yield ("violation: a member that lived to the end disagrees",
           {"a": a, "b": b, "c": c}, [], 1, "position 8: ")

    # A member stopped with its own changes undelivered (its group without
    # a quorum) says so: it did not live to the end, as one that crashed.
    a, b, c = crashed_member()
    c.send(11).ev(ev="exit", clean=False, undelivered=1)
    a.ev(ev="exit")
    b.ev(ev="exit")
    yield ("ok: a member that stopped unclean is judged as one that crashed",
           {"a": a, "b": b, "c": c}, [], 0, "(1 crashed, 2 to the end)")

    a, b = history("a", "b")
    a.send(13).ev(ev="exit")
    b.ev(ev="exit")
    yield ("violation: a member that exits clean with a multicast undelivered",
           {"a": a, "b": b}, [], 1, "which lived to the end, was never delivered")

    a, b, c = crashed_member(delivery="safe")
    c.ev(ev="crash")
    yield ("violation: with safe delivery a crashed member is not exempt",
           {"a": a, "b": b, "c": c}, [], 1, "position 8: ")

    a, b = history("a", "b")
    c = Log("c")
    a.view(3, 6, ["a", "b", "c"])
    b.view(3, 6, ["a", "b", "c"])
    c.state(6, a.color).view(3, 6, ["a", "c", "b"]).ev(ev="crash")
    yield ("violation: a crashed member disagrees up to its last view",
           {"a": a, "b": b, "c": c}, [], 1, "position 6: ")

    a, b = history("a", "b")
    b.deliver(7, "a", 9, 1)
    yield "violation: a gap", {"a": a, "b": b}, [], 1, "delivers position 7 after 5 (gap or repeat)"

    a, b = history("a", "b")
    b.deliver(5, "a", 2, 7)
    yield "violation: a repeat", {"a": a, "b": b}, [], 1, "delivers position 5 after 5"

    a, b = history("a", "b")
    c = Log("c")
    c.state(4, (9, 9, 9)).view(2, 3, ["a", "b"])
    yield ("violation: a state at one position, deliveries from another",
           {"a": a, "b": b, "c": c}, [], 1, "took the state as of 4 but delivers from 3")

    a, b = history("a", "b")
    for m in (a, b):
        m.deliver(6, "a", 2, 7).ev(ev="exit")
    yield ("violation: one multicast at two positions", {"a": a, "b": b}, [], 1,
           "multicast a#2 delivered at positions 5 and 6")

    a, b = history("a", "b")
    a.send(4).ev(ev="exit")
    b.ev(ev="exit")
    yield ("violation: a survivor's multicast never delivered", {"a": a, "b": b}, [], 1,
           "multicast a#3 of a, which lived to the end, was never delivered")

    # a and b deliver c's multicast; c, which says it lived to the end,
    # never delivered it itself.
    a, b = history("a", "b")
    c = Log("c")
    a.view(3, 6, ["a", "b", "c"])
    b.view(3, 6, ["a", "b", "c"])
    c.state(6, a.color).view(3, 6, ["a", "b", "c"]).send(4)
    for m in (a, b):
        m.deliver(7, "c", 1, 4)
    c.ev(ev="exit")
    yield ("violation: a survivor did not deliver its own multicast",
           {"a": a, "b": b, "c": c}, [], 1, "c lived to the end but did not deliver its own "
           "multicast c#1")

    # b crashes and is started again under its name: a new process, whose
    # count of changes starts again at 1 (the checker took its first for
    # the crashed one's, delivered twice).
    def restarted():
        a, b = history("a", "b")
        b.ev(ev="crash")
        a.view(3, 6, ["a"]).view(4, 7, ["a", "b"])
        b2 = Log("b")
        b2.state(7, a.color).view(4, 7, ["a", "b"]).send(9)
        for m in (a, b2):
            m.deliver(8, "b", 1, 9)
        return a, b, b2

    a, b, b2 = restarted()
    a.ev(ev="exit")
    b2.ev(ev="exit")
    yield ("ok: a member started again under the name of one that crashed",
           {"a": a, "b": b, "b2": b2}, [], 0, "(1 crashed, 2 to the end)")
    # A copy of a log is no second process (it joined where the first did).
    a, b = history("a", "b")
    a.ev(ev="exit")
    b.ev(ev="exit")
    yield ("ok: a log given twice, under another name", {"a": a, "b": b, "a-copy": a}, [], 0,
           "OK: 3 logs")

    # Two groups' logs in one folder (two groups started by hand, or a
    # window's LOG and LOG.2 after Join Another Group): each founder's view
    # 1 is position 1, and the checker called that a violation of the
    # protocol ("position 1: a has view 1 [a] ...; x has view 1 [x]").
    a, b = history("a", "b")
    a.ev(ev="exit")
    b.ev(ev="exit")
    x = Log("x")
    x.color = (10, 20, 30)
    x.view(1, 1, ["x"]).send(4).deliver(2, "x", 1, 4).ev(ev="exit")
    yield ("unreadable: the logs of two groups", {"a": a, "b": b, "x": x}, [], 2,
           "logs of more than one group: a founded one (view 1 [a]) and x another "
           "(view 1 [x])")

    a, b, b2 = restarted()
    for m in (a, b2):
        m.deliver(9, "b", 1, 9).ev(ev="exit")
    yield ("violation: a restarted member's multicast at two positions",
           {"a": a, "b": b, "b2": b2}, [], 1, "multicast b#1 (b's 2nd process) delivered at "
           "positions 8 and 9")

    # c took the state and was stopped before the view that admitted it
    # came: it ends with the state's color (taken for black).
    a, b = history("a", "b")
    c = Log("c")
    c.state(6, a.color).ev(ev="exit")
    for m in (a, b):
        m.view(3, 6, ["a", "b", "c"]).view(4, 7, ["a", "b"]).ev(ev="exit")
    yield ("ok: --same-end, a member stopped between its state and its first view",
           {"a": a, "b": b, "c": c}, ["--same-end"], 0, "OK: 3 logs")

    a, b = history("a", "b")
    a.send(1).deliver(6, "a", 3, 1).ev(ev="exit")
    b.ev(ev="exit")
    yield ("violation: --same-end, one survivor stopped earlier", {"a": a, "b": b},
           ["--same-end"], 1, "did not finish together")
    yield "ok: the same logs without --same-end", {"a": a, "b": b}, [], 0, "OK: 2 logs"

    # Unreadable logs win over any violation, whatever the order.
    a, b, c = crashed_member()
    c.ev(ev="exit")
    yield ("unreadable: a missing log beside violating ones",
           {"a": a, "b": b, "c": c, "missing": None}, [], 2, "missing")
    yield ("unreadable: a line that is not JSON in the middle of a log",
           {"a": a, "b": b, "broken": "{\"ev\":\"start\",\"name\":\"x\"}\nnot json\n{}\n"}, [], 2,
           "broken.log:2: not a JSON object")
    yield ("unreadable: a delivery without a color",
           {"a": a, "nocolor": "{\"ev\":\"start\",\"name\":\"x\"}\n"
            "{\"ev\":\"deliver\",\"seq\":3,\"from\":\"a\",\"id\":1}\n"}, [], 2,
           "nocolor.log:2: a deliver event needs seq and color")

    # Fields of another type than a worker writes (the checker crashed on a
    # number for "ev", and took a color of strings as black).
    start = "{\"ev\":\"start\",\"name\":\"x\"}\n"
    for what, line, said in [
            ("an event name that is a number", "{\"ev\":5}", "\"ev\" is not a string"),
            ("a sender that is a number",
             "{\"ev\":\"deliver\",\"seq\":1,\"from\":7,\"id\":1,\"color\":[1,2,3]}",
             "\"from\" is not a string"),
            ("a color of strings", "{\"ev\":\"view\",\"seq\":1,\"members\":[\"x\"],"
             "\"color\":[\"a\",2,3]}", "a view event needs seq and color"),
            ("a color that is not an array", "{\"ev\":\"state\",\"seq\":1,\"color\":\"red\"}",
             "a state event needs seq and color"),
            ("a color beyond 255", "{\"ev\":\"state\",\"seq\":1,\"color\":[1,2,300]}",
             "a state event needs seq and color"),
            ("a negative position",
             "{\"ev\":\"view\",\"seq\":-1,\"members\":[\"x\"],\"color\":[1,2,3]}",
             "a view event needs seq and color"),
            ("members that are not names",
             "{\"ev\":\"view\",\"seq\":1,\"members\":[1],\"color\":[1,2,3]}",
             "\"members\" is not a list of names"),
            ("a clean that is not true or false", "{\"ev\":\"send\",\"id\":1,\"change\":2}\n"
             "{\"ev\":\"exit\",\"clean\":0}", "\"clean\" is not true or false")]:
        yield (f"unreadable: {what}", {"a": a, "typed": start + line + "\n"}, [], 2,
               f"typed.log:{2 + line.count(chr(10))}: {said}")

    # What no worker writes, whatever its last line: the checker crashed on
    # deep nesting (json-glib recurses), and took a file that is no log,
    # or one line of any length without a newline, for a log cut short.
    a, b, c = crashed_member()
    c.ev(ev="exit")
    yield ("unreadable: nesting deeper than any event",
           {"a": a, "deep": start + "[" * 200000 + "\n" + "{\"ev\":\"exit\"}\n"}, [], 2,
           "deep.log:2: nested deeper than any event")
    yield ("unreadable: a line longer than any event, cut or not",
           {"a": a, "long": start + "{\"ev\":\"x\",\"y\":\"" + "x" * (5 << 20)}, [], 2,
           "long.log:2: longer than any event (4 MiB)")
    for what, text in [("one line of text", "hello"), ("an empty file", ""),
                       ("events but no start", "{\"ev\":\"exit\"}\n"),
                       ("a start cut short", "{\"ev\":\"sta")]:
        yield (f"unreadable: {what} is not a worker's log", {"a": a, "nolog": text}, [], 2,
               "nolog.log: not a worker's log (it starts with no start event)")

    a, b = history("a", "b")
    a.ev(ev="exit")
    b.ev(ev="exit")
    cut = b.text() + "{\"ev\":\"deliv"
    yield ("ok: a log cut in the middle of its last line (a killed process)",
           {"a": a, "b": cut}, [], 0, "OK: 2 logs")


def orders(files):
    """Every permutation for up to five logs; beyond, twenty shuffles."""
    if len(files) <= 5:
        yield from itertools.permutations(files)
        return
    rng = random.Random(12)
    for _ in range(20):
        order = list(files)
        rng.shuffle(order)
        yield order


def main():
    check = os.path.abspath(sys.argv[1])
    failures = 0
    n = 0
    with tempfile.TemporaryDirectory() as work:
        for index, (name, logs, args, want_status, want_text) in enumerate(scenarios()):
            files = []
            for file, log in logs.items():
                path = os.path.join(work, f"{index}-{file}.log")
                if log is not None:
                    with open(path, "w") as out:
                        out.write(log if isinstance(log, str) else log.text())
                files.append(path)
            verdicts = set()
            bad = None
            count = 0
            for order in orders(files):
                count += 1
                run = subprocess.run([check, *args, *order], capture_output=True, text=True,
                                     timeout=30)
                verdict = (run.returncode, (run.stdout + run.stderr).strip())
                verdicts.add(verdict)
                # A verdict in the checker's words, no GLib warning beside it.
                if (run.returncode != want_status or want_text not in verdict[1]
                        or "-CRITICAL **" in verdict[1] or "-WARNING **" in verdict[1]):
                    bad = (order, verdict)
            n += 1
            if bad is None and len(verdicts) == 1:
                print(f"ok {n} - {name} ({count} orders: {verdict[1]})")
            else:
                failures += 1
                print(f"not ok {n} - {name}")
                if bad:
                    print(f"#   order {[os.path.basename(p) for p in bad[0]]}: {bad[1]}")
                    print(f"#   wanted status {want_status} with {want_text!r}")
                for v in sorted(verdicts):
                    print(f"#   verdict seen: {v}")
        # Options anywhere among the logs, and "--" before a log named
        # "-...": "--same-end" after the logs was read as a missing log.
        a, b = history("a", "b")
        a.send(1).deliver(6, "a", 3, 1).ev(ev="exit")
        b.ev(ev="exit")
        for log, file in ((a, "cli-a.log"), (b, "-cli-b.log")):
            with open(os.path.join(work, file), "w") as out:
                out.write(log.text())
        # The logs' names NUL-terminated in a file (--files0-from), as
        # groupy-demo gives them: on its command line, a long session's
        # logs outgrew the kernel's limit.
        with open(os.path.join(work, "cli.list"), "wb") as out:
            out.write(b"cli-a.log\0-cli-b.log\0")
        with open(os.path.join(work, "cli-unended.list"), "wb") as out:
            out.write(b"cli-a.log\0-cli-b.log")
        os.chdir(work)
        for args, want_status, want_text in [
                (["--files0-from", "cli.list"], 0, "OK: 2 logs"),
                (["--files0-from=cli.list", "--same-end"], 1, "did not finish together"),
                (["--files0-from", "cli-unended.list"], 2, "not ended by a NUL byte"),
                (["--files0-from", "no-such.list"], 2, "no-such.list"),
                (["--files0-from"], 2, "--files0-from takes a FILE"),
                (["cli-a.log", "--", "-cli-b.log", "--same-end"], 2, "cannot read --same-end"),
                (["cli-a.log", "--", "-cli-b.log"], 0, "OK: 2 logs"),
                (["--", "cli-a.log", "-cli-b.log"], 0, "OK: 2 logs"),
                (["cli-a.log", "--same-end", "--", "-cli-b.log"], 1, "did not finish together"),
                (["cli-a.log", "--bogus"], 2, "unknown option --bogus"),
                (["cli-a.log", "--help"], 0, "Usage: groupy-check")]:
            run = subprocess.run([check, *args], capture_output=True, text=True, timeout=30)
            said = (run.stdout + run.stderr).strip()
            n += 1
            if run.returncode == want_status and want_text in said:
                print(f"ok {n} - command line {' '.join(args)}")
            else:
                failures += 1
                print(f"not ok {n} - command line {' '.join(args)}: ({run.returncode}, {said!r})")
        # And on standard input.
        run = subprocess.run([check, "--files0-from", "-"], input="cli-a.log\0-cli-b.log\0",
                             capture_output=True, text=True, timeout=30)
        said = (run.stdout + run.stderr).strip()
        n += 1
        if run.returncode == 0 and "OK: 2 logs" in said:
            print(f"ok {n} - command line --files0-from - (standard input)")
        else:
            failures += 1
            print(f"not ok {n} - command line --files0-from -: ({run.returncode}, {said!r})")
        os.chdir("/")
    print(f"1..{n}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
