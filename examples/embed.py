#!/usr/bin/env python3
"""embed.py: examples/embed.c in Python, through GObject Introspection.

    ./embed.py alice                   # creates a group, prints its address
    ./embed.py bob 127.0.0.1:PORT      # joins it (a C or a Python member)
    ./embed.py --expect 3 carol 127.0.0.1:PORT

Each member multicasts one greeting.  The application state is the list of
greetings so far: a member that joins late receives it, then the greetings
that follow, in the group's total order.  Once the list holds --expect
greetings (default 2) a member prints it, leaves cleanly and exits.

It needs the installed typelib (Groupy-1.0.typelib); for a library
installed under a prefix other than /usr, point GI_TYPELIB_PATH at
PREFIX/lib/.../girepository-1.0 and LD_LIBRARY_PATH at the library.
"""
import argparse
import sys

import gi

gi.require_version("Groupy", "1.0")
from gi.repository import GLib, Groupy  # noqa: E402


def main():
    parser = argparse.ArgumentParser(
        prog="embed.py",
        description="Create a group as NAME, or join the group of the member at HOST:PORT; "
                    "multicast one greeting, print the greetings, and leave.")
    parser.add_argument("-e", "--expect", metavar="N", type=int, default=2,
                        help="leave once N greetings are known (default 2)")
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("contact", metavar="HOST:PORT", nargs="?")
    args = parser.parse_args()
    if args.expect < 1:
        parser.error("--expect needs 1 or more")

    loop = GLib.MainLoop()
    greetings = []  # the application state
    group = Groupy.Group.new(args.name)

    def on_delivered(group, seq, sender, ctr, payload):
        text = payload.get_data().decode()
        print(f"#{seq} {sender}: {text}", flush=True)
        greetings.append(text)
        if len(greetings) == args.expect:
            loop.quit()

    def on_view_changed(group, view_id, seq, members, joined, left):
        print(f"#{seq} view {view_id}: {' '.join(members)} "
              f"(joined: {' '.join(joined) or '-'}; left: {' '.join(left) or '-'})", flush=True)

    def get_state(group):
        return GLib.Bytes.new("".join(g + "\n" for g in greetings).encode())

    def set_state(group, seq, state):
        print(f"state as of #{seq}")
        greetings[:] = state.get_data().decode().splitlines()

    def greet():
        try:
            group.multicast(GLib.Bytes.new(f"hello from {group.get_name()}".encode()))
        except GLib.Error as error:
            print(f"embed.py: {error.message}", file=sys.stderr)

    def joined(group, result):
        try:
            group.join_finish(result)
        except GLib.Error as error:
            print(f"embed.py: {error.message}", file=sys.stderr)
            sys.exit(2)
        greet()

    group.set_get_state_func(get_state)
    group.set_set_state_func(set_state)
    group.connect("delivered", on_delivered)
    group.connect("view-changed", on_view_changed)
    try:
        group.listen(None, None)
        print(f"{args.name} listening on {group.get_address()}", flush=True)
        if args.contact:
            group.join_async(args.contact, None, joined)
        else:
            group.create()
            greet()
    except GLib.Error as error:
        print(f"embed.py: {error.message}", file=sys.stderr)
        return 2
    loop.run()
    print(f"{args.name} saw:")
    for text in greetings:
        print(text)
    sys.stdout.flush()

    # Leave cleanly, so the others see a goodbye rather than a crash.
    group.leave_async(None, lambda group, result: loop.quit())
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
