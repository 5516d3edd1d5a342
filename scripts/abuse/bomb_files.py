"""Decompression bombs: a few MB that expand to 3 GiB of `a` with no newline, i.e. one CSV
value that never ends. Made once and kept in the cache dir (the gzip takes ~15 s to make)."""

import gzip
import hashlib
import os
import zlib

import zstandard

EXPANDED = 3 << 30
BLOCK = b"a" * (1 << 20)


def gzip_bomb(cache, header):
    """A gzip member holding `header` then EXPANDED bytes of `a`."""
    path = os.path.join(cache, f"bomb-{EXPANDED >> 30}g-{header.hex()}.csv.gz")
    if os.path.exists(path):
        return path
    os.makedirs(cache, exist_ok=True)
    partial = path + ".partial"
    with open(partial, "wb") as out:
        # wbits 31: a gzip header and trailer, so this is what `gzip -9` would write.
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        out.write(c.compress(header))
        for _ in range(EXPANDED // len(BLOCK)):
            out.write(c.compress(BLOCK))
        out.write(c.flush())
    os.replace(partial, path)
    return path


def zstd_bomb(path, header):
    """Writes a zstd frame of `header` then EXPANDED bytes of `a` to `path`; returns the
    SHA-256 of the rows part (what a snapshot's table entry hashes)."""
    rows = hashlib.sha256()
    with open(path, "wb") as out:
        with zstandard.ZstdCompressor(level=1).stream_writer(out, closefd=False) as w:
            w.write(header)
            for _ in range(EXPANDED // len(BLOCK)):
                w.write(BLOCK)
                rows.update(BLOCK)
    return rows.hexdigest()


def check_gzip(path):
    """Reads the first bytes back, so a broken cache file is noticed before it is sent."""
    with gzip.open(path) as f:
        return f.read(64)
