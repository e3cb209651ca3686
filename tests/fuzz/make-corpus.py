#!/usr/bin/env python3
"""Make the fuzzers' seed corpus from recorded traffic.

    tests/fuzz/make-corpus.py RECORDED_DIR... OUT_DIR

RECORDED_DIR holds what members of a real group recorded (a debug build run
with GROUPY_RECORD_FRAMES=DIR; tests/fuzz/record.sh does it): one file per
connection, PID-N-DIRECTION-OURID.frames, the frames its peer sent, each a
4-byte little-endian length and the body.  OUT_DIR/codec, OUT_DIR/handshake
and OUT_DIR/core receive seeds in each target's input format (described at
the top of tests/fuzz/fuzz-*.c), a few hundred small files in all, chosen
to cover every kind of frame and message that was recorded.  Files are
named after a hash of their contents, as libFuzzer names its own.
"""

import hashlib
import os
import random
import struct
import sys

# The ids the targets use (fuzz-handshake.c, fuzz-core.c).
SELF_ID = 0x5E1F5E1F5E1F5E1F
PEER_ID = 0x0123456789ABCDEF
OTHER_IDS = [0x2222222222222222, 0x3333333333333333, 0x4444444444444444,
             0xA1A1A1A1A1A1A1A1, 0xA2A2A2A2A2A2A2A2, 0xA3A3A3A3A3A3A3A3]

FRAME_HELLO, FRAME_MSG, FRAME_BYE, FRAME_AUTH = 1, 2, 3, 4
MSG_JOIN, MSG_STATE = 1, 8

# Handshake modes and core starts (the same bits as in the targets).
MODE_SECRET, MODE_DIALED, MODE_PROVE = 1, 2, 4
SCENE_JOINED, SCENE_JOINING, SCENE_PAIR = 1, 2, 3
START_SAFE, START_BATCH = 4, 8
OP_TICK = 4

MAX_SEED = 4096          # bytes: libFuzzer's default input size
PER_KIND = 12            # codec seeds per frame kind / message type
HANDSHAKE_SEEDS = 120
CORE_SEEDS = 120


class Stream:
    def __init__(self, path):
        name = os.path.basename(path)[: -len(".frames")]
        _pid, _serial, self.direction, ours = name.split("-")
        self.ours = int(ours, 16)
        self.frames = []
        data = open(path, "rb").read()
        off = 0
        while off + 4 <= len(data):
            (n,) = struct.unpack_from("<I", data, off)
            body = data[off + 4 : off + 4 + n]
            if len(body) < n:
                break
            self.frames.append(body)
            off += 4 + n
        self.secret = bool(self.frames) and kind_of(self.frames[0]) == FRAME_AUTH
        self.theirs = 0
        for f in self.frames:
            if kind_of(f) == FRAME_HELLO and len(f) >= 10:
                (self.theirs,) = struct.unpack_from("<Q", f, 2)
                break

    def renamed(self, frames, known):
        """The frames with the targets' ids: ours SELF_ID, the peer's
        PEER_ID, the other members' (`known`) OTHER_IDS in the order they
        appear, so that no two members become one."""
        blob = b"".join(frames)
        others = sorted((i for i in known if i not in (self.ours, self.theirs)
                         and struct.pack("<Q", i) in blob),
                        key=lambda i: blob.index(struct.pack("<Q", i)))
        swaps = [(self.ours, SELF_ID), (self.theirs, PEER_ID)] + list(zip(others, OTHER_IDS))
        out = []
        for f in frames:
            for old, new in swaps:
                if old:
                    f = f.replace(struct.pack("<Q", old), struct.pack("<Q", new))
            out.append(f)
        return out


def kind_of(body):
    return body[1] if len(body) >= 2 else 0


def key_of(body):
    kind = kind_of(body)
    return (kind, body[2]) if kind == FRAME_MSG and len(body) >= 3 else (kind, 0)


def framed(frames):
    return b"".join(struct.pack("<I", len(f)) + f for f in frames)


def write(out_dir, data):
    os.makedirs(out_dir, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out_dir, name), "wb") as f:
        f.write(data)


def spread(items, n):
    """n items spread evenly over a list sorted by size."""
    items = sorted(items, key=len)
    if len(items) <= n:
        return items
    return [items[i * (len(items) - 1) // (n - 1)] for i in range(n)]


def codec_seeds(streams, out_dir):
    by_key = {}
    for s in streams:
        for f in s.frames:
            if len(f) <= MAX_SEED:
                by_key.setdefault(key_of(f), set()).add(f)
    n = 0
    for key in sorted(by_key):
        for f in spread(by_key[key], PER_KIND):
            write(out_dir, f)
            n += 1
    return n


def handshake_seeds(streams, known, out_dir, rng):
    seeds = set()
    candidates = [s for s in streams if s.frames and s.theirs]
    rng.shuffle(candidates)
    for s in candidates:
        if len(seeds) >= HANDSHAKE_SEEDS:
            break
        frames = s.renamed(s.frames[: rng.randint(1, 12)], known)
        after_auth = frames[1:] if s.secret else frames
        dialed = MODE_DIALED if s.direction == "out" else 0
        chunk = rng.choice([0, 0, 0, 1, 7, 64])
        if s.secret:
            # Proved by the harness (the recorded proof is of another
            # channel), and as recorded (a proof that must be refused).
            variants = [(MODE_SECRET | MODE_PROVE | dialed, after_auth),
                        (MODE_SECRET | dialed, frames)]
        else:
            variants = [(dialed, frames)]
        for mode, fs in variants:
            data = bytes([mode, chunk]) + framed(fs)
            while len(data) > MAX_SEED and len(fs) > 1:
                fs = fs[:-1]
                data = bytes([mode, chunk]) + framed(fs)
            if len(data) <= MAX_SEED:
                seeds.add(data)
    for data in seeds:
        write(out_dir, data)
    return len(seeds)


def core_seeds(streams, known, out_dir, rng):
    seeds = set()
    candidates = [s for s in streams if s.theirs]
    rng.shuffle(candidates)
    for s in candidates:
        if len(seeds) >= CORE_SEEDS:
            break
        msgs = [f for f in s.renamed(s.frames, known) if kind_of(f) == FRAME_MSG and len(f) < 65536]
        if not msgs:
            continue
        types = {f[2] for f in msgs if len(f) >= 3}
        scene = SCENE_JOINING if MSG_STATE in types else SCENE_PAIR if MSG_JOIN in types \
            else SCENE_JOINED
        first = rng.randrange(len(msgs)) if scene == SCENE_JOINED else 0
        start = scene | rng.choice([0, START_SAFE, START_BATCH])
        data = bytearray([start])
        for i, f in enumerate(msgs[first : first + 40]):
            op = bytes([7]) + struct.pack("<H", len(f)) + f  # RECV, as the frame says
            if len(data) + len(op) > MAX_SEED:
                break
            data += op
            if i % 3 == 2:
                data.append(OP_TICK << 5 | 3)  # a heartbeat passes
        if len(data) > 1:
            seeds.add(bytes(data))
    for data in seeds:
        write(out_dir, data)
    return len(seeds)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    *recorded, out = argv[1:]
    streams = []
    for d in recorded:
        for name in sorted(os.listdir(d)):
            if name.endswith(".frames"):
                streams.append(Stream(os.path.join(d, name)))
    # Every member incarnation that was recorded: its HELLOs name it.
    known = {s.ours for s in streams} | {s.theirs for s in streams if s.theirs}
    rng = random.Random(16)  # the same recording gives the same corpus
    n = codec_seeds(streams, os.path.join(out, "codec"))
    h = handshake_seeds(streams, known, os.path.join(out, "handshake"), rng)
    c = core_seeds(streams, known, os.path.join(out, "core"), rng)
    frames = sum(len(s.frames) for s in streams)
    print(f"{len(streams)} connections, {frames} frames: "
          f"{n} codec, {h} handshake, {c} core seeds in {out}")


if __name__ == "__main__":
    main(sys.argv)
