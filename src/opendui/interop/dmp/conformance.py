"""Checking CDA documents with the ANS test kit (TestContenuCDA): CDA XSD and CI-SIS schematrons.

The kit is not shipped with OpenDUI: it is read from `OPENDUI_CONFORMANCE_DIR` or from
`<repository>/../shared/conformance`. This module is for tests and developer checks; the
production path never imports it (saxonche is a development dependency).

Why the schematrons need more than lxml: they declare `queryBinding="xslt2"`, so they are
compiled (ISO skeleton: include → abstract expansion → SVRL XSLT 2) and run with an XSLT 2
processor, SaxonC-HE (`saxonche`). The compiled XSLT reads value sets with relative paths
(`doc('include/voc-….xml')`, `'../jeuxDeValeurs/….xml'`), so it must sit next to its `.sch`;
and the kit leaves out some of those files (their content is in `jeuxDeValeurs/`, in the
IHE SVS format). The kit itself is never written to: its `schematrons/` and `jeuxDeValeurs/`
trees are copied once into a cache directory keyed by their content, the missing value-set
files are derived there, and the compiled XSLT is written there too (so a second process
skips the three compilation steps). Saxon's own compilation of the resulting stylesheet
(about 15 s for the structuration minimale) happens once per process.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

ENV_VAR = "OPENDUI_CONFORMANCE_DIR"
KIT_NAME = "ans-testcontenucda"
XSD = "infrastructure/cda/CDA_extended.xsd"
#: Schematron paths, relative to the kit's `schematrons/` directory.
STRUCTURATION_MINIMALE = "profils/structurationMinimale/ASIP-STRUCT-MIN-StrucMin.sch"
DLU_EHPAD = "CI-SIS_DLU-EHPAD-DLU_2022.01.sch"

SVS_NS = "urn:ihe:iti:svs:2008"
SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
#: Bumped when the way the cache is prepared changes, so old caches are not reused.
_CACHE_LAYOUT = "1"
_COMPILE_STEPS = ("iso_dsdl_include.xsl", "iso_abstract_expand.xsl", "iso_svrl_for_xslt2.xsl")
_DOC_REF = re.compile(r"doc\(\s*'([^']+)'\s*\)")
_VOC_FILE = re.compile(r"voc-(?P<oid>[0-9.]+)-[A-Za-z0-9]+\.xml$")

_lock = threading.RLock()


class ConformanceKitError(RuntimeError):
    """The kit is missing, incomplete, or a schematron could not be compiled or run."""


def repository_root() -> Path:
    """The checkout holding `src/opendui` (the kit lives beside it, in `../shared`)."""
    return Path(__file__).resolve().parents[4]


def kit_dir() -> Path | None:
    """The TestContenuCDA directory, or None when it is not on this machine.

    `OPENDUI_CONFORMANCE_DIR` may name the kit itself or the directory holding
    `ans-testcontenucda/`; without it, `<repository>/../shared/conformance` is used.
    """
    configured = os.environ.get(ENV_VAR, "").strip()
    base = Path(configured) if configured else repository_root().parent / "shared" / "conformance"
    for candidate in (base / KIT_NAME, base):
        if (candidate / XSD).is_file() and (candidate / "schematrons").is_dir():
            return candidate.resolve()
    return None


def _require_kit() -> Path:
    kit = kit_dir()
    if kit is None:
        raise ConformanceKitError(
            f"ANS CDA test kit not found: set {ENV_VAR} or install it in ../shared/conformance."
        )
    return kit


# -- XSD ---------------------------------------------------------------------------------


@cache
def _schema(xsd_path: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(xsd_path))


def xsd_errors(xml: bytes) -> list[str]:
    """Errors of `xml` against the kit's CDA schema (`CDA_extended.xsd`); [] when valid."""
    schema = _schema(str(_require_kit() / XSD))
    try:
        document = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    with _lock:  # an lxml schema object is not meant to be shared between threads
        if schema.validate(document):
            return []
        return [f"line {error.line}: {error.message}" for error in schema.error_log]


# -- Schematrons --------------------------------------------------------------------------


def _kit_key(kit: Path) -> str:
    """A digest of every file the schematrons read: a changed kit gets a fresh cache."""
    digest = hashlib.sha256(_CACHE_LAYOUT.encode())
    for top in ("schematrons", "jeuxDeValeurs"):
        for path in sorted((kit / top).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(kit)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_root() -> Path:
    """`$XDG_CACHE_HOME/opendui/conformance` (or `~/.cache/…`, or the temp dir)."""
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg:
        base = Path(xdg)
    else:
        home = Path.home()
        base = home / ".cache" if home.is_dir() else Path(tempfile.gettempdir())
    return base / "opendui" / "conformance"


@cache
def _work_dir(kit: Path) -> Path:
    """A copy of the kit's schematrons and value sets that may be written to."""
    target = cache_root() / _kit_key(kit)
    if (target / ".complete").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}-", dir=target.parent))
    try:
        for top in ("schematrons", "jeuxDeValeurs"):
            # Contents only, not the kit's (read-only) permissions: files are added here.
            for source in sorted((kit / top).rglob("*")):
                copy = staging / source.relative_to(kit)
                if source.is_dir():
                    copy.mkdir(parents=True, exist_ok=True)
                else:
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, copy)
        (staging / ".complete").write_text(str(kit), encoding="utf-8")
        try:
            staging.rename(target)
        except OSError:  # another process prepared it first
            if not (target / ".complete").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


@cache
def _value_set_files(work: Path) -> dict[str, Path]:
    """The SVS files of `jeuxDeValeurs/` by value-set OID."""
    found: dict[str, Path] = {}
    for path in sorted((work / "jeuxDeValeurs").glob("*.xml")):
        try:
            for _event, element in etree.iterparse(
                str(path), events=("start",), tag=f"{{{SVS_NS}}}ValueSet"
            ):
                if element.get("id"):
                    found.setdefault(element.get("id"), path)
                break
        except etree.XMLSyntaxError:
            continue  # the kit holds a few empty files
    return found


def art_decor_value_set(svs_path: Path) -> bytes:
    """An SVS value set rewritten in the ART-DECOR shape the schematrons read.

    `valueSets/valueSet/conceptList/concept/@code` (no namespace), keeping code system
    and display name.
    """
    source = etree.parse(str(svs_path))
    svs = source.find(f".//{{{SVS_NS}}}ValueSet")
    root = etree.Element("valueSets")
    value_set = etree.SubElement(
        root,
        "valueSet",
        id=svs.get("id", ""),
        name=svs.get("displayName", ""),
        displayName=svs.get("displayName", ""),
    )
    concepts = etree.SubElement(value_set, "conceptList")
    for concept in source.iter(f"{{{SVS_NS}}}Concept"):
        etree.SubElement(
            concepts,
            "concept",
            code=concept.get("code", ""),
            codeSystem=concept.get("codeSystem", ""),
            displayName=concept.get("displayName", ""),
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _derive_missing_value_sets(work: Path, sch_dir: Path, schematron_text: str) -> None:
    """Write next to the schematron the `voc-<OID>-….xml` files it reads and the kit lacks."""
    value_sets = _value_set_files(work)
    for reference in sorted(set(_DOC_REF.findall(schematron_text))):
        target = (sch_dir / reference).resolve()
        match = _VOC_FILE.search(reference)
        if target.exists() or match is None:
            continue
        source = value_sets.get(match.group("oid"))
        if source is None:
            continue  # left to fail loudly when the schematron reads it
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, art_decor_value_set(source))


def _write_atomically(target: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-")
    with os.fdopen(handle, "wb") as stream:
        stream.write(content)
    os.replace(temporary, target)


@cache
def _processor() -> Any:
    try:
        from saxonche import PySaxonProcessor
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConformanceKitError(
            "saxonche is required to run the CI-SIS schematrons (pip install opendui[dev])."
        ) from exc
    return PySaxonProcessor(license=False)


def compiled_schematron_path(schematron: str) -> Path:
    """The SVRL XSLT of `schematron` (relative to `schematrons/`), compiled if needed."""
    work = _work_dir(_require_kit())
    sch = work / "schematrons" / schematron
    if not sch.is_file():
        raise ConformanceKitError(f"schematron not found in the kit: {schematron}")
    compiled = sch.with_suffix(".compiled.xsl")
    if compiled.is_file():
        return compiled
    processor = _processor()
    xslt = processor.new_xslt30_processor()
    engine = work / "schematrons" / "moteur"
    text: str | None = None
    for step in _COMPILE_STEPS:
        executable = xslt.compile_stylesheet(stylesheet_file=str(engine / step))
        if text is None:
            # The include step resolves hrefs against the source's own location.
            text = executable.transform_to_string(source_file=str(sch))
        else:
            node = processor.parse_xml(xml_text=text)
            text = executable.transform_to_string(xdm_node=node)
        if text is None:
            raise ConformanceKitError(f"compiling {schematron} failed at step {step}")
        if step == _COMPILE_STEPS[0]:
            _derive_missing_value_sets(work, sch.parent, text)
    _write_atomically(compiled, text.encode("utf-8"))
    return compiled


@cache
def _executable(schematron: str) -> Any:
    compiled = compiled_schematron_path(schematron)
    xslt = _processor().new_xslt30_processor()
    return xslt.compile_stylesheet(stylesheet_file=str(compiled))


def prepare_schematron(schematron: str = STRUCTURATION_MINIMALE) -> None:
    """Compile `schematron` now (about 15 s the first time in a process), not on first use."""
    with _lock:
        _executable(schematron)


def svrl_report(xml: bytes, schematron: str) -> etree._Element:
    """The SVRL report of `xml` against `schematron` (path relative to `schematrons/`)."""
    with _lock:
        executable = _executable(schematron)
        node = _processor().parse_xml(xml_text=xml.decode("utf-8"))
        try:
            report = executable.transform_to_string(xdm_node=node)
        except Exception as exc:  # saxonche raises PySaxonApiError
            raise ConformanceKitError(f"running {schematron} failed: {exc}") from exc
    if not report:
        raise ConformanceKitError(f"running {schematron} produced no report")
    return etree.fromstring(report.encode("utf-8"))


def schematron_errors(xml: bytes, schematron: str = STRUCTURATION_MINIMALE) -> list[str]:
    """Non-conformities of `xml`: failed asserts of role `error` or without a role.

    Each is `"<location>: <message>"`. Warnings and information are not returned.
    """
    try:
        etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    report = svrl_report(xml, schematron)
    errors = []
    for failed in report.iter(f"{{{SVRL_NS}}}failed-assert"):
        if failed.get("role") not in (None, "", "error", "fatal"):
            continue
        text = " ".join("".join(failed.itertext()).split())
        errors.append(f"{failed.get('location', '')}: {text}")
    return errors
