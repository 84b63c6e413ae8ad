#!/usr/bin/env python3
"""Compares .deb files that scripts/package.sh made with packaging/expected/.

    check-package.py DEB...                 --info and --contents of each
    check-package.py --multiarch-same DEB...  one package on several
        architectures: its files outside the multiarch libdir are identical
        (what Multi-Arch: same promises dpkg)

For PACKAGE_VERSION_ARCH.deb, packaging/expected/PACKAGE.info holds the
control members and fields `dpkg-deb --info` shows, PACKAGE.contents the
entries `dpkg-deb --contents` lists (mode, owner, path, link target; no
sizes or dates). In both:
  @VERSION@     the project version in meson.build
  @ARCH@        the Debian architecture, @MULTIARCH@ its triple
  @INSTALLED_SIZE@  what dpkg counts for the listed contents (KiB: each file
                rounded up, 1 for any other entry), so the field is checked
                against the package's own files
  *             in a field value: any text (versions of the toolchain)
  Field[arch arch]: a field only those architectures have
  @HEADER@      (contents) one line per public header of the tree, as
                meson.build installs them: att/ common/ gatt/ hci/ miband/
Lines starting with # are comments. A difference prints as a unified diff
(- expected, + actual) and the exit status is 1.
"""
import difflib
import hashlib
import io
import re
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = ROOT / "packaging" / "expected"
MULTIARCH = {"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu", "armhf": "arm-linux-gnueabihf"}
HEADER_FOLDERS = ["att", "common", "gatt", "hci", "miband"]
MEMBER = re.compile(r"^\s+\d+ bytes,\s+\d+ lines\s+(\*?)\s+(\S+)\s*(.*?)\s*$")
ARCH_FIELD = re.compile(r"^([A-Za-z0-9-]+)\[([a-z0-9 ]+)\]:(.*)$")


def project_version():
    text = (ROOT / "meson.build").read_text()
    m = re.search(r"project\(.*?version\s*:\s*'([^']+)'", text, re.S)
    if not m:
        sys.exit("check-package: no project version in meson.build")
    return m.group(1)


def dpkg_deb(*args):
    return subprocess.run(["dpkg-deb", *args], check=True, capture_output=True, text=True).stdout


def actual_info(deb):
    """Control members as "member: NAME [executable] [#!interpreter]", then the fields."""
    lines, fields = [], False
    for line in dpkg_deb("--info", str(deb)).splitlines():
        m = MEMBER.match(line)
        if m and not fields:
            executable, name, interp = m.groups()
            lines.append(" ".join(x for x in ["member:", name, "(executable)" if executable else "", interp] if x))
        elif line.startswith(" ") and not line.startswith(" new Debian") and not line.startswith(" size "):
            fields = True
            lines.append(line[1:])
    return lines


def actual_contents(deb):
    """(lines "MODE OWNER PATH[ -> TARGET]", installed size in KiB as dpkg-gencontrol counts)."""
    lines, kib = [], 0
    for line in dpkg_deb("--contents", str(deb)).splitlines():
        mode, owner, size, _date, _time, rest = line.split(None, 5)
        lines.append(f"{mode} {owner} {rest}")
        if rest != "./":
            kib += (int(size) + 1023) // 1024 if mode.startswith("-") else 1
    return sorted(lines, key=entry_path), kib


def entry_path(line):
    """The path of a contents line "MODE OWNER PATH[ -> TARGET]" (the sort key)."""
    return line.split(" ", 2)[2]


def expected_lines(path, arch, subst):
    """The expected file for `arch`: comments dropped, placeholders replaced,
    fields of other architectures (and their continuation lines) dropped."""
    out, keep = [], True
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = ARCH_FIELD.match(line)
        if m:
            keep = arch in m.group(2).split()
            line = f"{m.group(1)}:{m.group(3)}"
        elif not line.startswith(" "):
            keep = True
        if not keep:
            continue
        for key, value in subst.items():
            line = line.replace(key, value)
        out.append(line)
    return out


def expand_headers(lines):
    out = []
    for line in lines:
        if "@HEADER@" not in line:
            out.append(line)
            continue
        for folder in HEADER_FOLDERS:
            for h in sorted((ROOT / folder).glob("*.hpp")):
                out.append(line.replace("@HEADER@", f"{folder}/{h.name}"))
    return out


def resolve_wildcards(expected, actual):
    """An expected line with * becomes the actual line it matches, if any."""
    out = []
    for line in expected:
        if "*" in line and not line.startswith("member:"):
            pattern = re.compile("^" + ".*".join(map(re.escape, line.split("*"))) + "$")
            match = next((a for a in actual if pattern.match(a)), None)
            out.append(match if match is not None else line)
        else:
            out.append(line)
    return out


def compare(what, expected_path, expected, actual, label):
    if expected == actual:
        return True
    print(f"FAILED: {label}: {what} differs from {expected_path.relative_to(ROOT)} (- expected, + actual):")
    for line in difflib.unified_diff(expected, actual, "expected", "actual", lineterm="", n=2):
        print("   " + line)
    return False


def check(deb):
    name, version, arch = deb.name[: -len(".deb")].split("_")
    if arch not in MULTIARCH:
        print(f"FAILED: {deb.name}: unknown architecture {arch}")
        return False
    info_path, contents_path = EXPECTED / f"{name}.info", EXPECTED / f"{name}.contents"
    if not info_path.exists() or not contents_path.exists():
        print(f"FAILED: {deb.name}: no {info_path.name} and {contents_path.name} in {EXPECTED.relative_to(ROOT)}")
        return False
    contents, kib = actual_contents(deb)
    subst = {"@VERSION@": project_version(), "@ARCH@": arch, "@MULTIARCH@": MULTIARCH[arch],
             "@INSTALLED_SIZE@": str(kib)}
    ok = version == subst["@VERSION@"]
    if not ok:
        print(f"FAILED: {deb.name}: version {version}, meson.build says {subst['@VERSION@']}")
    info = actual_info(deb)
    want_info = resolve_wildcards(expected_lines(info_path, arch, subst), info)
    ok &= compare("dpkg-deb --info", info_path, want_info, info, deb.name)
    want_contents = sorted(expand_headers(expected_lines(contents_path, arch, subst)), key=entry_path)
    ok &= compare("dpkg-deb --contents", contents_path, want_contents, contents, deb.name)
    if ok:
        print(f"ok: {deb.name}: --info ({len(info)} lines, Installed-Size {kib} KiB from its files) "
              f"and --contents ({len(contents)} entries) as {info_path.stem}.info/.contents expect")
    return ok


def arch_independent_files(deb):
    """{path: digest} of the regular files and links outside usr/lib/<multiarch>."""
    arch = deb.name[: -len(".deb")].split("_")[2]
    data = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], check=True, capture_output=True).stdout
    files = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for m in tar:
            if m.isdir() or m.name.startswith(f"./usr/lib/{MULTIARCH[arch]}/"):
                continue
            body = tar.extractfile(m).read() if m.isfile() else f"-> {m.linkname}".encode()
            files[m.name] = hashlib.sha256(body).hexdigest()
    return files


def check_multiarch_same(debs):
    names = {d.name.split("_")[0] for d in debs}
    if len(names) != 1:
        print(f"FAILED: --multiarch-same compares one package on several architectures, not {', '.join(sorted(names))}")
        return False
    first, ok = arch_independent_files(debs[0]), True
    for deb in debs[1:]:
        other = arch_independent_files(deb)
        for path in sorted(set(first) | set(other)):
            if first.get(path) != other.get(path):
                print(f"FAILED: {path} differs between {debs[0].name} and {deb.name} (Multi-Arch: same needs it identical)")
                ok = False
    if ok:
        print(f"ok: {len(first)} files outside the multiarch libdir are identical in " + ", ".join(d.name for d in debs))
    return ok


def main(argv):
    if argv and argv[0] == "--multiarch-same":
        debs = [Path(a) for a in argv[1:]]
        return 0 if len(debs) >= 2 and check_multiarch_same(debs) else 1
    if not argv:
        print(__doc__)
        return 2
    results = [check(Path(a)) for a in argv]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
