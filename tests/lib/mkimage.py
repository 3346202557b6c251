#!/usr/bin/env python3
"""Test helper (image.bats): build OCI image layouts and hostile layers.

  mkimage.py build LAYOUT TAG [--bad-diffid N] [--cmd ARG]... LAYER[:none|:gzip|:zstd]...
      add an image TAG to LAYOUT (created when missing) from layer tar files
      (bottom first); --bad-diffid N writes a wrong diffID for layer N.
  mkimage.py nest LAYOUT TAG
      make TAG a multi-platform image as skopeo writes one: index.json names
      a nested index whose linux/arm64 entry is a manifest that does not
      exist and whose linux/amd64 entry is TAG's manifest.
  mkimage.py tar OUT KIND
      write a hostile or special layer tar: dotdot, absolute, symlink-write,
      hardlink-out, bomb, whiteouts, device.
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile


def blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


MT = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


def compress(data, how):
    if how == "gzip":
        return gzip.compress(data, 1)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
    return data


def build(args):
    layout, tag = args[0], args[1]
    rest = args[2:]
    bad = -1
    cmd = []
    layers = []
    i = 0
    while i < len(rest):
        if rest[i] == "--bad-diffid":
            bad = int(rest[i + 1])
            i += 2
        elif rest[i] == "--cmd":
            cmd.append(rest[i + 1])
            i += 2
        else:
            layers.append(rest[i])
            i += 1
    os.makedirs(layout, exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    descs, diff_ids = [], []
    for n, spec in enumerate(layers):
        path, _, how = spec.partition(":")
        how = how or "gzip"
        data = open(path, "rb").read()
        diff = "sha256:" + hashlib.sha256(data).hexdigest()
        if n == bad:
            diff = "sha256:" + "0" * 64
        diff_ids.append(diff)
        d, size = blob(layout, compress(data, how))
        descs.append({"mediaType": MT[how], "digest": d, "size": size})
    config = {
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": cmd or ["/bin/sh"], "Env": ["IMG=1"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    cd, cs = blob(layout, json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": descs,
    }
    md, ms = blob(layout, json.dumps(manifest).encode())
    ipath = os.path.join(layout, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(ipath):
        index = json.load(open(ipath))
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    index["manifests"].append({
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
        "annotations": {"org.opencontainers.image.ref.name": tag},
    })
    with open(ipath, "w") as f:
        json.dump(index, f)


def nest(args):
    layout, tag = args
    ipath = os.path.join(layout, "index.json")
    index = json.load(open(ipath))
    for m in index["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag:
            continue
        real = {"mediaType": m["mediaType"], "digest": m["digest"], "size": m["size"],
                "platform": {"os": "linux", "architecture": "amd64"}}
        bogus = {"mediaType": m["mediaType"], "digest": "sha256:" + "e" * 64, "size": 1,
                 "platform": {"os": "linux", "architecture": "arm64"}}
        nested = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                  "manifests": [bogus, real]}
        d, size = blob(layout, json.dumps(nested).encode())
        m.update({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": d, "size": size})
    with open(ipath, "w") as f:
        json.dump(index, f)


def add_file(t, name, data=b"", **kw):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    for k, v in kw.items():
        setattr(ti, k, v)
    t.addfile(ti, io.BytesIO(data))


def add(t, name, kind, **kw):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    for k, v in kw.items():
        setattr(ti, k, v)
    t.addfile(ti)


def hostile(out, kind):
    host = os.environ.get("CANARY_DIR", "/tmp")
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        if kind == "dotdot":
            add_file(t, "../../../../../../.." + host + "/dotdot", b"pwned\n")
        elif kind == "absolute":
            add_file(t, host + "/absolute", b"pwned\n")
        elif kind == "symlink-write":
            add(t, "escape", tarfile.SYMTYPE, linkname=host)
            add_file(t, "escape/through-link", b"pwned\n")
            add(t, "up", tarfile.SYMTYPE, linkname="../../../../../../../../" + host)
            add_file(t, "up/through-relative-link", b"pwned\n")
        elif kind == "hardlink-out":
            add(t, "stolen", tarfile.LNKTYPE, linkname=host + "/canary")
        elif kind == "hardlink-dotdot":
            add(t, "stolen", tarfile.LNKTYPE, linkname="../../../../../../../.." + host + "/canary")
        elif kind == "bomb":
            # 64 MiB of zeros: a few KiB gzip-compressed
            add_file(t, "bomb", b"\0" * (64 << 20))
        elif kind == "device":
            add(t, "dev-null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666)
            add(t, "fifo", tarfile.FIFOTYPE, mode=0o644)
        elif kind == "whiteouts":
            # deletes /gone and makes /data opaque (only new is seen), adds
            # a hardlink pair and a setuid-free file with an xattr-less mode
            add(t, "data", tarfile.DIRTYPE, mode=0o755)
            add_file(t, "data/.wh..wh..opq")
            add_file(t, "data/new", b"new\n", mode=0o640)
            add_file(t, ".wh.gone")
            add(t, "ro", tarfile.DIRTYPE, mode=0o555)
            add_file(t, "ro/f", b"in a read-only dir\n", mode=0o444)
            add_file(t, "linked-a", b"same inode\n")
            add(t, "linked-b", tarfile.LNKTYPE, linkname="linked-a")
        else:
            sys.exit("unknown kind " + kind)


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(sys.argv[2:])
    elif sys.argv[1] == "nest":
        nest(sys.argv[2:])
    elif sys.argv[1] == "tar":
        hostile(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
