"""Schema bundles: official (dir, zip), embedded, registry, safety (no network, zip-slip)."""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import stat
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from pes_v2 import bundle_zip, bundles
from pes_v2.bundles import (
    ROOTS,
    SchemaBundle,
    install_bundle,
    installed_bundles,
    remove_bundle,
    resolve_bundle,
    version_from_name,
    version_key,
)
from pes_v2.errors import BundleError
from pes_v2.findings import SchemaInfo

NS = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0"
ALLER = f"{{{NS}/aller}}PES_Aller"
ACQUIT_V1 = f"{{{NS}/retour}}PES_ACQUIT"
ACQUIT_V2 = f"{{{NS}/retour/v2}}PES_ACQUIT"
RETOUR = f"{{{NS}/retour}}PES_Retour"
ACQUIT_RETOUR = f"{{{NS}/aller/ack}}PES_ACQUIT_RETOUR"
S2LOW = "corpus/s2low"
PASTELL = "corpus/megalis-bretagne__pastell"

# (corpus file, root, valid against 5.17 and 5.30) — verdicts from the reference README.
CORPUS = [
    (f"{S2LOW}/test__PHPUnit__helios__fixtures__pes_aller_ok.xml", ALLER, True),
    (
        f"{PASTELL}/test__PHPUnit__module__helios-generique__fixtures__"
        "HELIOS_SIMU_ALR2_BlocPiece-without-InfoPce.xml",
        ALLER,
        False,
    ),
    (f"{S2LOW}/test__PHPUnit__helios__fixtures__pes_acquit.xml", ACQUIT_V2, True),
    (f"{S2LOW}/test__PHPUnit__helios__fixtures__pes_retour.xml", RETOUR, True),
    (f"{S2LOW}/test__PHPUnit__helios__fixtures__PES_ACQUIT_RETOUR.xml", ACQUIT_RETOUR, False),
]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own registry and no PES_V2_SCHEMAS."""
    monkeypatch.setenv("PES_V2_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PES_V2_SCHEMAS", raising=False)
    yield


def _xsd(shared: Path, version: str) -> Path:
    return shared / "xsd" / f"schemas_pes_v{version}"


def _zip_dir(src: Path, archive: Path, top: str | None) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(src.rglob("*")):
            if path.is_file():
                rel = path.relative_to(src).as_posix()
                zf.write(path, f"{top}/{rel}" if top else rel)
    return archive


def _mini_bundle(root: Path, aller: str) -> Path:
    """A tiny bundle: PES_V2/Rev0/PES_Aller.xsd with the given content, plus a local include."""
    rev0 = root / "PES_V2" / "Rev0"
    rev0.mkdir(parents=True)
    (rev0 / "PES_Aller.xsd").write_text(aller, encoding="utf-8")
    (root / "PES_V2" / "Types.xsd").write_text(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS}/aller">'
        '<xs:simpleType name="T"><xs:restriction base="xs:string"/></xs:simpleType></xs:schema>',
        encoding="utf-8",
    )
    return root


def _aller_including(location: str) -> str:
    return (
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS}/aller" '
        f'xmlns="{NS}/aller"><xs:include schemaLocation="{location}"/>'
        '<xs:element name="PES_Aller" type="T"/></xs:schema>'
    )


# ------------------------------------------------------------------ official bundles (reference)


@pytest.mark.parametrize("version", ["5.30", "5.17"])
def test_directory_bundle_version_and_info(shared_reference: Path, version: str) -> None:
    bundle = SchemaBundle.from_path(_xsd(shared_reference, version))
    assert (bundle.kind, bundle.version) == ("official", version)
    assert bundle.info == SchemaInfo("official", version, str(_xsd(shared_reference, version)))
    assert set(bundle.roots) == set(ROOTS)


@pytest.mark.parametrize("version", ["5.30", "5.17"])
def test_every_root_compiles_and_is_cached(shared_reference: Path, version: str) -> None:
    bundle = SchemaBundle.from_path(_xsd(shared_reference, version))
    for root in ROOTS:
        assert bundle.covers(root)
        schema = bundle.schema_for(root)
        assert isinstance(schema, etree.XMLSchema)
        assert bundle.schema_for(root) is schema
    assert SchemaBundle.from_path(_xsd(shared_reference, version)) is bundle
    assert bundle.schema_for("{urn:other}Root") is None
    assert not bundle.covers("{urn:other}Root")


@pytest.mark.parametrize("version", ["5.30", "5.17"])
@pytest.mark.parametrize(("name", "root", "valid"), CORPUS)
def test_corpus_verdicts(
    shared_reference: Path, version: str, name: str, root: str, valid: bool
) -> None:
    doc = etree.parse(str(shared_reference / name))
    assert etree.QName(doc.getroot()).text == root
    schema = SchemaBundle.from_path(_xsd(shared_reference, version)).schema_for(root)
    assert schema.validate(doc) is valid


def test_roots_match_target_namespaces(shared_reference: Path) -> None:
    for version in ("5.30", "5.17"):
        for root, rel in ROOTS.items():
            xsd = etree.parse(str(_xsd(shared_reference, version) / rel)).getroot()
            name = etree.QName(root)
            assert xsd.get("targetNamespace") == name.namespace
            assert (
                xsd.find(f"{{http://www.w3.org/2001/XMLSchema}}element[@name='{name.localname}']")
                is not None
            )


def test_first_compile_is_thread_safe(shared_reference: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(_xsd(shared_reference, "5.17"), tmp_path / "threads")
    bundle = SchemaBundle.from_path(copy)
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(bundle.schema_for(ALLER))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and all(r is results[0] for r in results)


# ------------------------------------------------------------------ zips


@pytest.mark.parametrize("top", [None, "schemas_pes_v5.30", "Schémas PES v5.30 (copie)"])
def test_zip_bundle(shared_reference: Path, tmp_path: Path, top: str | None) -> None:
    archive = _zip_dir(_xsd(shared_reference, "5.30"), tmp_path / "bundle.zip", top)
    bundle = SchemaBundle.from_path(archive)
    assert (bundle.kind, bundle.version, bundle.location) == ("official", "5.30", str(archive))
    doc = etree.parse(str(shared_reference / CORPUS[0][0]))
    assert bundle.schema_for(ALLER).validate(doc)
    assert SchemaBundle.from_path(archive) is bundle


def test_zip_in_folder_with_spaces(shared_reference: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mes schémas"
    folder.mkdir()
    archive = _zip_dir(
        _xsd(shared_reference, "5.17"), folder / "Schemas_PES 5.17.zip", "Schemas_PES 5.17"
    )
    bundle = SchemaBundle.from_path(archive)
    assert bundle.version == "5.17"
    assert bundle.schema_for(ACQUIT_V2) is not None


def test_version_from_name_when_content_unknown(shared_reference: Path, tmp_path: Path) -> None:
    """Content changed (no fingerprint match): the folder or zip name gives the version."""
    folder = shutil.copytree(_xsd(shared_reference, "5.17"), tmp_path / "Schemas_PES 5.3")
    aller = folder / "PES_V2" / "Rev0" / "PES_Aller.xsd"
    aller.write_bytes(aller.read_bytes() + b"<!-- local copy -->\n")
    assert SchemaBundle.from_path(folder).version == "5.3"
    archive = _zip_dir(folder, tmp_path / "Schemas_PES_v491_18042016.zip", None)
    assert SchemaBundle.from_path(archive).version == "4.9.1"
    plain = shutil.copytree(folder, tmp_path / "whatever")
    assert SchemaBundle.from_path(plain).version == "unknown"


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("schemas_pes_v5.30", "5.30"),
        ("schemas_pes_v5.30.zip", "5.30"),
        ("Schemas_PES 5.3", "5.3"),
        ("schemas_pes_5.5_301017", "5.5"),
        ("schemas_pes_v5.7_072018", "5.7"),
        ("Schemas_PES_v471_072015", "4.7.1"),
        ("Schemas_PES_v491_18042016", "4.9.1"),
        ("schemas_pes_v530", "unknown"),
        ("schemas_pes", "unknown"),
        ("PES_V2", "unknown"),
    ],
)
def test_version_from_name(name: str, version: str) -> None:
    assert version_from_name(name) == version


def test_version_order() -> None:
    versions = ["5.30", "unknown", "5.3", "4.9.1", "5.17", "5.5"]
    assert sorted(versions, key=version_key) == ["unknown", "4.9.1", "5.3", "5.5", "5.17", "5.30"]


def _zip_with(tmp_path: Path, name: str, *, symlink: bool = False) -> Path:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("PES_V2/Rev0/PES_Aller.xsd", _aller_including("../Types.xsd"))
        info = zipfile.ZipInfo(name)
        if symlink:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd" if symlink else "x")
    return archive


@pytest.mark.parametrize(
    ("name", "symlink"),
    [
        ("../../evil.xsd", False),
        ("/tmp/evil.xsd", False),
        ("a/../../evil.xsd", False),
        ("C:/evil.xsd", False),
        ("..\\evil.xsd", False),
        ("PES_V2/link.xsd", True),
    ],
)
def test_unsafe_zip_refused(tmp_path: Path, name: str, symlink: bool) -> None:
    archive = _zip_with(tmp_path, name, symlink=symlink)
    with pytest.raises(BundleError, match="refused"):
        SchemaBundle.from_path(archive)
    assert not (tmp_path.parent / "evil.xsd").exists()
    assert not (tmp_path / "evil.xsd").exists()


def test_zip_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle_zip, "ZIP_MAX_MEMBER_BYTES", 1000)
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("PES_V2/Rev0/PES_Aller.xsd", b" " * 5000)
    with pytest.raises(BundleError, match="too large"):
        SchemaBundle.from_path(archive)


def test_not_a_zip_nor_a_folder(tmp_path: Path) -> None:
    path = tmp_path / "bundle.txt"
    path.write_text("hello")
    with pytest.raises(BundleError, match="neither a directory nor a zip"):
        SchemaBundle.from_path(path)
    with pytest.raises(BundleError, match="no such file"):
        SchemaBundle.from_path(tmp_path / "missing")


# ------------------------------------------------------------------ broken bundles, no network


def test_missing_root_file(tmp_path: Path) -> None:
    (tmp_path / "b" / "PES_V2" / "Rev0").mkdir(parents=True)
    with pytest.raises(BundleError, match="not a PES V2 schema bundle"):
        SchemaBundle.from_path(tmp_path / "b")


def test_schema_that_does_not_compile(tmp_path: Path) -> None:
    broken = _aller_including("../Types.xsd").replace('type="T"', 'type="Undefined"')
    bundle = SchemaBundle.from_path(_mini_bundle(tmp_path / "b", broken))
    with pytest.raises(BundleError) as info:
        bundle.schema_for(ALLER)
    message = str(info.value)
    assert "PES_V2/Rev0/PES_Aller.xsd" in message and "does not compile" in message
    assert "Undefined" in message and "\n" not in message


def test_include_missing_file(tmp_path: Path) -> None:
    bundle_dir = _mini_bundle(tmp_path / "b", _aller_including("../Nope.xsd"))
    with pytest.raises(BundleError, match=r"PES_Aller\.xsd.*Nope\.xsd.*no such file"):
        SchemaBundle.from_path(bundle_dir)


def test_not_well_formed(tmp_path: Path) -> None:
    bundle_dir = _mini_bundle(tmp_path / "b", "<xs:schema")
    with pytest.raises(BundleError, match="not well-formed"):
        SchemaBundle.from_path(bundle_dir)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local TCP listener: any connection attempt would show up in its backlog."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def _no_connection(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


@pytest.mark.parametrize("scheme", ["http", "https", "ftp"])
def test_network_schema_location_refused(
    tmp_path: Path, listener: socket.socket, scheme: str
) -> None:
    port = listener.getsockname()[1]
    for url in (f"{scheme}://127.0.0.1:{port}/x.xsd", f"{scheme}://127.0.0.1:1/x.xsd"):
        folder = tmp_path / f"b{url.count(':')}{len(url)}"
        with pytest.raises(BundleError) as info:
            SchemaBundle.from_path(_mini_bundle(folder, _aller_including(url)))
        assert "PES_Aller.xsd" in str(info.value) and "network" in str(info.value)
    assert _no_connection(listener)


def test_resolver_refuses_network_even_without_scan(
    tmp_path: Path, listener: socket.socket
) -> None:
    """Second line of defence: the compiling parser itself refuses a URL."""
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/x.xsd"
    folder = _mini_bundle(tmp_path / "b", _aller_including("../Types.xsd"))
    parser = bundles._scan_parser()
    parser.resolvers.add(bundles._BundleResolver(folder))
    doc = etree.parse(str(folder / "PES_V2" / "Rev0" / "PES_Aller.xsd"), parser)
    doc.getroot()[0].set("schemaLocation", url)
    with pytest.raises((BundleError, etree.XMLSchemaParseError)):
        etree.XMLSchema(doc)
    assert _no_connection(listener)


@pytest.mark.parametrize("where", ["file", "absolute"])
def test_local_file_outside_bundle_refused(tmp_path: Path, where: str) -> None:
    outside = tmp_path / "outside.xsd"
    outside.write_text((tmp_path.parent / "x").as_posix())
    location = outside.as_uri() if where == "file" else str(outside)
    with pytest.raises(BundleError, match="outside the bundle"):
        SchemaBundle.from_path(_mini_bundle(tmp_path / "b", _aller_including(location)))


def test_file_url_inside_bundle_allowed(tmp_path: Path) -> None:
    folder = _mini_bundle(tmp_path / "b", "")
    location = (folder / "PES_V2" / "Types.xsd").as_uri()
    (folder / "PES_V2" / "Rev0" / "PES_Aller.xsd").write_text(_aller_including(location))
    assert SchemaBundle.from_path(folder).schema_for(ALLER) is not None


def test_external_entity_refused(tmp_path: Path) -> None:
    xsd = '<!DOCTYPE xs:schema [<!ENTITY e SYSTEM "/etc/passwd">]>' + _aller_including(
        "../Types.xsd"
    )
    with pytest.raises(BundleError, match="external entity") as refused:
        SchemaBundle.from_path(_mini_bundle(tmp_path / "b", xsd))
    assert "PES_V2/Rev0/PES_Aller.xsd" in refused.value.message("en")
    assert "entité externe" in refused.value.message("fr")
    assert "PES_V2/Rev0/PES_Aller.xsd" in refused.value.message("fr")


def test_symlink_escaping_bundle_refused(tmp_path: Path) -> None:
    folder = _mini_bundle(tmp_path / "b", _aller_including("../Link.xsd"))
    outside = tmp_path / "Types.xsd"
    shutil.copy(folder / "PES_V2" / "Types.xsd", outside)
    (folder / "PES_V2" / "Link.xsd").symlink_to(outside)
    with pytest.raises(BundleError, match="outside the bundle"):
        SchemaBundle.from_path(folder)


@pytest.mark.parametrize("through_link", [False, True])
def test_resolver_refuses_a_file_outside_even_without_scan(
    tmp_path: Path, through_link: bool
) -> None:
    """Second line of defence: the compiling parser refuses a local file outside the
    bundle, named directly or through a link inside it, with folders remembered."""
    folder = _mini_bundle(tmp_path / "b", _aller_including("../Types.xsd"))
    outside = tmp_path / "Outside.xsd"
    shutil.copy(folder / "PES_V2" / "Types.xsd", outside)
    location = str(outside)
    if through_link:
        (folder / "PES_V2" / "Link.xsd").symlink_to(outside)
        location = "../Link.xsd"
    realpath = bundles._RealPaths()
    for accepted in (True, False):
        parser = bundles._scan_parser()
        parser.resolvers.add(bundles._BundleResolver(folder, realpath))
        doc = etree.parse(str(folder / "PES_V2" / "Rev0" / "PES_Aller.xsd"), parser)
        if accepted:
            etree.XMLSchema(doc)  # the bundle's own include is served
            continue
        doc.getroot()[0].set("schemaLocation", location)
        with pytest.raises((BundleError, etree.XMLSchemaParseError)):
            etree.XMLSchema(doc)


def test_remembered_folders_resolve_as_realpath_does(tmp_path: Path) -> None:
    # The closure scan resolves each schemaLocation with folders remembered: same answers
    # as os.path.realpath through folder links, file links, "..", missing files and links
    # that leave the tree, asked in an order where a folder is resolved before its links.
    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "real" / "sub" / "a.xsd").write_text("x")
    (tmp_path / "outside.xsd").write_text("x")
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "sub" / "b.xsd").symlink_to(tmp_path / "outside.xsd")
    (tmp_path / "real" / "up").symlink_to(tmp_path)
    asked = [
        "real/sub/a.xsd",
        "linked/sub/a.xsd",
        "linked/sub/b.xsd",
        "real/sub/b.xsd",
        "real/sub/../sub/a.xsd",
        "real/sub/..",
        "real/sub/missing.xsd",
        "real/up/outside.xsd",
        "real/up/linked/sub/b.xsd",
        "linked/sub/a.xsd",
    ]
    realpath = bundles._RealPaths()
    for rel in asked:
        assert realpath(tmp_path / rel) == os.path.realpath(tmp_path / rel), rel


def test_mini_bundle_loads(tmp_path: Path) -> None:
    bundle = SchemaBundle.from_path(_mini_bundle(tmp_path / "b", _aller_including("../Types.xsd")))
    assert bundle.version == "unknown"
    assert bundle.covers(ALLER) and not bundle.covers(ACQUIT_V1)
    assert bundle.schema_for(ACQUIT_V1) is None
    assert bundle.schema_for(ALLER).validate(etree.fromstring(f'<PES_Aller xmlns="{NS}/aller"/>'))


# ------------------------------------------------------------------ embedded


def test_embedded_with_stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in = tmp_path / "embedded"
    stand_in.mkdir()
    (stand_in / "PES_Aller.xsd").write_text(
        _aller_including("Types.xsd").replace("<xs:schema ", '<xs:schema version="5.30" ')
    )
    (stand_in / "Types.xsd").write_text(
        (_mini_bundle(tmp_path / "m", "") / "PES_V2" / "Types.xsd").read_text()
    )
    monkeypatch.setattr(bundles, "embedded_dir", lambda: stand_in)
    monkeypatch.setattr(bundles, "_BUNDLES", {})
    bundle = SchemaBundle.embedded()
    assert bundle.info == SchemaInfo("embedded", "5.30", "embedded")
    assert bundle.covers(ALLER) and not bundle.covers(ACQUIT_V2)
    assert bundle.schema_for(RETOUR) is None
    assert bundle.schema_for(ALLER) is bundle.schema_for(ALLER)
    assert SchemaBundle.embedded() is bundle
    assert resolve_bundle("embedded") is bundle
    assert resolve_bundle() is bundle


def test_embedded_dir_is_the_package_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found from the package's own file, without importlib.resources (≈ 7 ms of start-up);
    # a package in no folder (a zipped install) goes through importlib.resources instead.
    schemas = importlib.import_module("pes_v2.schemas")
    folder = bundles.embedded_dir()
    assert folder == Path(schemas.__file__).parent
    assert (folder / "PES_Aller.xsd").is_file()
    monkeypatch.setattr(schemas, "__file__", str(tmp_path / "__init__.py"))
    assert bundles.embedded_dir() == folder


def test_real_embedded_compiles(shared_reference: Path) -> None:
    bundle = SchemaBundle.embedded()
    assert (bundle.kind, bundle.location) == ("embedded", "embedded")
    schema = bundle.schema_for(ALLER)
    assert isinstance(schema, etree.XMLSchema)
    assert schema.validate(etree.parse(str(shared_reference / CORPUS[0][0])))


# ------------------------------------------------------------------ registry and resolution


def test_registry_install_list_remove(shared_reference: Path, tmp_path: Path) -> None:
    assert installed_bundles() == []
    first = install_bundle(_xsd(shared_reference, "5.17"))
    assert first.version == "5.17"
    assert Path(first.location).parent == tmp_path / "data" / "bundles"
    archive = _zip_dir(_xsd(shared_reference, "5.30"), tmp_path / "s.zip", "schemas_pes_v5.30")
    second = install_bundle(archive)
    assert second.version == "5.30" and second.schema_for(ALLER) is not None
    listed = installed_bundles()
    assert [(b.version, b.default) for b in listed] == [("5.30", True), ("5.17", False)]
    assert listed[0].path == tmp_path / "data" / "bundles" / "5.30"
    remove_bundle("5.30")
    assert [(b.version, b.default) for b in installed_bundles()] == [("5.17", True)]
    with pytest.raises(BundleError, match="no schema bundle installed"):
        remove_bundle("5.30")
    with pytest.raises(BundleError, match="not a version"):
        remove_bundle("../data")


def test_install_needs_version_when_unknown(tmp_path: Path) -> None:
    folder = _mini_bundle(tmp_path / "b", _aller_including("../Types.xsd"))
    with pytest.raises(BundleError, match="version unknown"):
        install_bundle(folder)
    installed = install_bundle(folder, version="5.99")
    assert installed.version == "5.99"
    again = install_bundle(folder, version="5.99")  # reinstall replaces
    assert again.version == "5.99"
    assert [b.version for b in installed_bundles()] == ["5.99"]
    with pytest.raises(BundleError, match="not a version"):
        install_bundle(folder, version="../../etc")


def test_install_refuses_bundle_that_does_not_compile(tmp_path: Path) -> None:
    broken = _aller_including("../Types.xsd").replace('type="T"', 'type="Undefined"')
    with pytest.raises(BundleError, match="does not compile"):
        install_bundle(_mini_bundle(tmp_path / "b", broken), version="1.0")
    assert installed_bundles() == []


def test_resolve_precedence(
    shared_reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v517 = _xsd(shared_reference, "5.17")
    given = SchemaBundle.from_path(v517)
    assert resolve_bundle(given) is given
    assert resolve_bundle(v517) is given
    assert resolve_bundle(str(v517)) is given
    stand_in = object.__new__(SchemaBundle)
    monkeypatch.setattr(SchemaBundle, "embedded", classmethod(lambda cls: stand_in))
    assert resolve_bundle() is stand_in  # nothing installed, no env: embedded
    assert resolve_bundle("embedded") is stand_in
    install_bundle(_xsd(shared_reference, "5.30"))
    assert resolve_bundle().version == "5.30"  # registry default
    monkeypatch.setenv("PES_V2_SCHEMAS", str(v517))
    assert resolve_bundle() is given  # env var wins
    monkeypatch.setenv("PES_V2_SCHEMAS", "embedded")
    assert resolve_bundle() is stand_in
    assert resolve_bundle(v517) is given  # an explicit argument wins over the env var


def test_default_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("PES_V2_DATA_DIR")
    assert bundles.data_dir() == Path(platformdirs.user_data_dir("pes-v2"))


def test_compile_error_names_included_file(shared_reference: Path, tmp_path: Path) -> None:
    """libxml2 warns before it fails: the message is about the first error, in its file."""
    folder = shutil.copytree(_xsd(shared_reference, "5.30"), tmp_path / "schemas_pes_v5.30")
    simple = folder / "PES_V2" / "Simple_Type.xsd"
    simple.write_text(
        simple.read_text(encoding="utf-8").replace('base="xs:string"', 'base="xs:strin"', 1),
        encoding="utf-8",
    )
    with pytest.raises(BundleError) as info:
        SchemaBundle.from_path(folder).schema_for(ALLER)
    message = str(info.value)
    assert message.startswith("PES_V2/Simple_Type.xsd (in ")
    assert "does not compile" in message and "strin" in message


def test_changed_folder_is_reopened(tmp_path: Path) -> None:
    folder = _mini_bundle(tmp_path / "b", _aller_including("../Types.xsd"))
    first = SchemaBundle.from_path(folder)
    assert SchemaBundle.from_path(folder) is first
    (folder / "PES_V2" / "Rev0" / "PES_Aller.xsd").write_text(
        _aller_including("http://127.0.0.1:1/x.xsd")
    )
    with pytest.raises(BundleError, match="network"):
        SchemaBundle.from_path(folder)


def test_w3c_doctype_tolerated_without_network(tmp_path: Path, listener: socket.socket) -> None:
    """The original W3C schemas carry a DOCTYPE with an external DTD: never fetched."""
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/XMLSchema.dtd"
    folder = _mini_bundle(tmp_path / "b", _aller_including("../Types.xsd"))
    types = folder / "PES_V2" / "Types.xsd"
    doctype = (
        f'<!DOCTYPE xs:schema PUBLIC "-//W3C//DTD XMLSchema 200102//EN" "{url}" '
        f"[<!ENTITY ns '{NS}/aller'>]>\n"
    )
    types.write_text(doctype + types.read_text().replace(f'"{NS}/aller"', '"&ns;"'))
    assert SchemaBundle.from_path(folder).schema_for(ALLER) is not None
    assert _no_connection(listener)


def test_a_bundle_folder_may_hold_a_name_that_is_not_utf8(
    official_v530: Path, tmp_path: Path
) -> None:
    """Its fingerprint took file names as UTF-8 text: UnicodeEncodeError, a traceback."""
    import os

    copy = tmp_path / "bundle"
    shutil.copytree(official_v530, copy)
    (copy / os.fsdecode(b"notes\xff.txt")).write_bytes(b"x")
    (copy / "PES_V2" / os.fsdecode(b"lisez-moi\xe9.txt")).write_bytes(b"x")
    bundle = resolve_bundle(str(copy))
    assert bundle.info.version == "5.30"
