#!/usr/bin/env python3
"""Builds container images for the image tests, offline, as a normal user: layer tars with any
entry (owners, setuid bits, whiteouts, hard links, devices, hostile names) and the three formats urun
imports (oci layout directory, oci-archive, docker-archive), with gzip, zstd or no compression.

  make-image.py layer OUT.tar [--dir DIR] [--entry JSON]...
      --dir DIR     every file under DIR, owned by root (as `docker build` layers are)
      --entry JSON  one more entry: {"path", "type": file|dir|symlink|hardlink|chr|fifo, "uid", "gid",
                    "mode", "data", "target", "xattrs": {name: hex}}
  make-image.py image FORMAT OUT --name NAME:TAG --layer L.tar... [--config JSON] [--compress gzip|zstd|none]
                [--corrupt layer|config] [--truncate BYTES]
      FORMAT: oci (a directory), oci-archive, docker-archive
"""
import argparse, gzip, hashlib, io, json, os, shutil, subprocess, sys, tarfile, tempfile

def sha(b):
    return hashlib.sha256(b).hexdigest()

def add_entry(tf, e):
    ti = tarfile.TarInfo(e["path"])
    ti.uid, ti.gid = e.get("uid", 0), e.get("gid", 0)
    ti.mode = int(str(e.get("mode", "644")), 8)
    ti.mtime = 1700000000
    t = e.get("type", "file")
    data = None
    if t == "file":
        data = e.get("data", "").encode()
        ti.size = len(data)
    elif t == "dir":
        ti.type = tarfile.DIRTYPE
    elif t == "symlink":
        ti.type, ti.linkname = tarfile.SYMTYPE, e["target"]
    elif t == "hardlink":
        ti.type, ti.linkname = tarfile.LNKTYPE, e["target"]
    elif t == "chr":
        ti.type, ti.devmajor, ti.devminor = tarfile.CHRTYPE, 1, 3
    elif t == "fifo":
        ti.type = tarfile.FIFOTYPE
    if "xattrs" in e:
        ti.pax_headers = {"SCHILY.xattr." + k: bytes.fromhex(v).decode("latin-1") for k, v in e["xattrs"].items()}
    tf.addfile(ti, io.BytesIO(data) if data is not None else None)

def layer(a):
    with tarfile.open(a.out, "w", format=tarfile.PAX_FORMAT, encoding="latin-1") as tf:
        if a.dir:
            def root(ti):
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = ""
                return ti
            for name in sorted(os.listdir(a.dir)):
                tf.add(os.path.join(a.dir, name), arcname=name, filter=root)
        for e in a.entry or []:
            add_entry(tf, json.loads(e))

def compress(raw, how):
    if how == "gzip":
        return gzip.compress(raw, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
    if how == "zstd":
        z = subprocess.run(["zstd", "-q", "-c"], input=raw, stdout=subprocess.PIPE, check=True).stdout
        return z, "application/vnd.oci.image.layer.v1.tar+zstd"
    return raw, "application/vnd.oci.image.layer.v1.tar"

def image(a):
    raws = [open(p, "rb").read() for p in a.layer]
    cfg = {"architecture": "amd64" if os.uname().machine == "x86_64" else "arm64", "os": "linux",
           "config": json.loads(a.config or '{"Cmd": ["/bin/sh"]}'),
           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(r) for r in raws]}}
    cfgb = json.dumps(cfg).encode()
    cfgd = sha(cfgb)
    work = tempfile.mkdtemp()
    files = {}  # name in the image -> bytes
    if a.format == "docker-archive":
        names = []
        for i, r in enumerate(raws):
            body = r if a.compress == "none" else compress(r, a.compress)[0]
            if a.corrupt == "layer" and i == len(raws) - 1:
                body = body[:-1] + bytes([body[-1] ^ 1])
            names.append("%s/layer.tar" % sha(r))
            files[names[-1]] = body
        files[cfgd + ".json"] = cfgb if a.corrupt != "config" else cfgb.replace(b'"os"', b'"os" ')
        files["manifest.json"] = json.dumps([{"Config": cfgd + ".json", "RepoTags": [a.name], "Layers": names}]).encode()
    else:
        descs = []
        for i, r in enumerate(raws):
            body, mt = compress(r, a.compress)
            d = sha(body)
            if a.corrupt == "layer" and i == len(raws) - 1:
                body = body[:-1] + bytes([body[-1] ^ 1])
            files["blobs/sha256/" + d] = body
            descs.append({"mediaType": mt, "digest": "sha256:" + d, "size": len(body)})
        files["blobs/sha256/" + cfgd] = cfgb if a.corrupt != "config" else cfgb.replace(b'"os"', b'"os" ')
        man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                     "digest": "sha256:" + cfgd, "size": len(cfgb)}, "layers": descs}).encode()
        files["blobs/sha256/" + sha(man)] = man
        files["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + sha(man),
            "size": len(man), "annotations": {"org.opencontainers.image.ref.name": a.name}}]}).encode()
        files["oci-layout"] = b'{"imageLayoutVersion": "1.0.0"}'
    if a.format == "oci":
        for n, b in files.items():
            p = os.path.join(a.out, n)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, "wb").write(b)
        return
    with tarfile.open(a.out, "w", format=tarfile.PAX_FORMAT) as tf:
        for n, b in files.items():
            ti = tarfile.TarInfo(n)
            ti.size, ti.mtime = len(b), 1700000000
            tf.addfile(ti, io.BytesIO(b))
    if a.truncate:
        os.truncate(a.out, a.truncate)
    shutil.rmtree(work)

p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
l = sub.add_parser("layer")
l.add_argument("out")
l.add_argument("--dir")
l.add_argument("--entry", action="append")
i = sub.add_parser("image")
i.add_argument("format", choices=["oci", "oci-archive", "docker-archive"])
i.add_argument("out")
i.add_argument("--name", required=True)
i.add_argument("--layer", action="append", required=True)
i.add_argument("--config")
i.add_argument("--compress", default="none", choices=["gzip", "zstd", "none"])
i.add_argument("--corrupt", choices=["layer", "config"])
i.add_argument("--truncate", type=int)
a = p.parse_args()
layer(a) if a.cmd == "layer" else image(a)
